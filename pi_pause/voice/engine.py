"""The seam between pi-pause and a speech synthesiser.

A :class:`SpeechEngine` turns one sentence of text into float audio at its own
sample rate, and nothing more: trimming, the silences between sentences, the
pace of a calm voice, loudness and the clip cache are pi-pause's own
(:mod:`pi_pause.voice.voice`), shared by every engine, so a couple hears the same
timing and the same loudness whichever voice they choose::

    engine = PiperEngine(model_path, length_scale=1.55)     # or HibariEngine(...)
    speech = engine.speak("Breathe in.")                     # loads the model, once
    speech.samples, speech.rate                              # float32 in [-1, 1], Hz

Two engines satisfy it: :class:`~pi_pause.voice.piper_engine.PiperEngine` (joe, or
any Piper voice by path) and :class:`~pi_pause.voice.hibari_engine.HibariEngine`
(heart). :mod:`pi_pause.voice.catalogue` says which one a ``[voice] model`` picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from pi_pause.errors import UserError


class VoiceError(UserError):
    """A voice that cannot be used, named by its file or its name."""


@dataclass(frozen=True)
class Speech:
    """Mono float audio in [-1, 1] at ``rate`` Hz, as an engine made it (silence at the
    edges included: pi-pause trims it)."""

    samples: np.ndarray
    rate: int


@runtime_checkable
class SpeechEngine(Protocol):
    """Text in, float audio and its sample rate out."""

    sample_rate: int
    """The rate of everything it speaks, known before the model loads."""

    @property
    def loaded(self) -> bool:
        """Is the model in memory now?"""

    def speak(self, sentence: str) -> Speech:
        """One sentence, spoken at the engine's configured pace (the model loads on first use)."""

    def identity(self) -> str:
        """What makes its audio what it is (model files, pace): part of every clip's cache key."""

    def unload(self) -> None:
        """Let the model's memory go; the next ``speak`` loads it again."""
