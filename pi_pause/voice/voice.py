"""The voice: any speech engine turned into short, clean, level clips.

:class:`Voice` wraps one :class:`~pi_pause.voice.engine.SpeechEngine` (Piper's joe,
hibari's heart, or any Piper voice) and does, the same way for every engine, what
makes pi-pause sound calm: each sentence is said on its own, trimmed to its speech
with short soft edges, and joined to the next by an exact silence (longer after a
question); then the whole line is brought to one loudness (:mod:`pi_pause.voice.loudness`)::

    voice = Voice.from_settings(settings)       # the engine [voice] model names
    clip = voice.synthesize("Let's take a pause. Breathe in.")
    clip.seconds

Engines load their model only on first use, so building a Voice is cheap, and a
missing or broken voice is a one-line :class:`~pi_pause.voice.engine.VoiceError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pi_pause import config
from pi_pause.voice.engine import SpeechEngine
from pi_pause.voice.loudness import CEILING_DBTP, TARGET_LUFS, level

# Engines pad each sentence with silence; we trim it and put exact silence back in
# code, so pacing is ours. Samples quieter than this (engines give speech that
# peaks at 1) count as silence.
_SILENCE = 0.01
SENTENCE_GAP_SECONDS = 0.9
"""Silence between two sentences of one line: calm speech leaves room to breathe."""
QUESTION_GAP_SECONDS = 1.2
"""Silence after a question inside a line: time to let it land before going on."""
_MARGIN_SECONDS = 0.03
_FADE_SECONDS = 0.005
# A lower-case word after the stop continues the sentence ("Sure. ten minutes more."),
# as Piper (espeak-ng) and hibari both read it.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\sa-z])")


@dataclass(frozen=True)
class Clip:
    """Mono int16 audio at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Voice:
    """One engine, with pi-pause's sentence pauses and loudness."""

    def __init__(self, engine: SpeechEngine):
        self.engine = engine

    @classmethod
    def from_settings(cls, settings: config.Settings, model: str | None = None) -> Voice:
        """The voice ``[voice] model`` names (or ``model``, a packaged name or a path)."""
        from pi_pause.voice.catalogue import open_engine

        return cls(open_engine(settings, model))

    @property
    def sample_rate(self) -> int:
        return self.engine.sample_rate

    @property
    def loaded(self) -> bool:
        return self.engine.loaded

    def identity(self) -> str:
        """What makes this voice's clips what they are: the engine, the pauses, the level."""
        return "|".join((self.engine.identity(),
                         f"gaps={SENTENCE_GAP_SECONDS:g},{QUESTION_GAP_SECONDS:g}",
                         f"level={TARGET_LUFS:g},{CEILING_DBTP:g}"))

    def synthesize(self, text: str) -> Clip:
        """Speak ``text`` into a clip: its sentences trimmed, spaced and levelled."""
        rate = self.sample_rate
        pieces: list[np.ndarray] = []
        gap = SENTENCE_GAP_SECONDS
        for sentence in sentences(text):
            speech = self.engine.speak(sentence)
            said = _trim(np.asarray(speech.samples, np.float32), rate)
            if not said.size:
                continue
            if pieces:
                pieces.append(np.zeros(int(gap * rate), np.float32))
            pieces.append(said)
            gap = QUESTION_GAP_SECONDS if _asks(sentence) else SENTENCE_GAP_SECONDS
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        audio = np.clip(level(audio, rate), -1.0, 1.0)
        return Clip(np.round(audio * 32767).astype(np.int16), rate)

    def unload(self) -> None:
        """Let the engine's memory go (the service only needs it to render)."""
        self.engine.unload()


def sentences(text: str) -> list[str]:
    """``text`` cut after each . ! or ? that ends a sentence (not one before a lower-case word)."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _asks(sentence: str) -> bool:
    return sentence.rstrip(" \"')]").endswith("?")


def _trim(audio: np.ndarray, rate: int) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > _SILENCE)
    if loud.size == 0:
        return np.zeros(0, np.float32)
    margin = int(_MARGIN_SECONDS * rate)
    audio = audio[max(0, loud[0] - margin): loud[-1] + margin].copy()
    fade = min(int(_FADE_SECONDS * rate), len(audio) // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        audio[:fade] *= ramp
        audio[-fade:] *= ramp[::-1]
    return audio
