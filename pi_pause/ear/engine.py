"""The ear's seams: what an engine, a spotter and an audio source promise.

Everything in the ear meets at these few contracts, so a new engine (or a test's
stand-in) only has to satisfy them:

- :class:`Engine`: one recogniser (PocketSphinx, Vosk, the embedding classifier)
  that takes 16 kHz int16 frames and says which configured phrase it heard;
- :class:`Spotter`: what the listener feeds (a :class:`~pi_pause.ear.spotter.PhraseSpotter`
  wraps an engine and turns its answer into a :class:`~pi_pause.events.PhraseHeard`);
- :class:`AudioSource`: where frames come from (the microphone, a WAV file).

:class:`Finding` is an engine's verdict on a phrase (can every word be heard?),
and :class:`PhraseError` the one-line refusal of a phrase it cannot hear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pi_pause.errors import UserError
from pi_pause.events import PhraseHeard

RATE = 16_000
MAX_FRAME = RATE // 10  # 100 ms: engines are fed no more than this at once


class PhraseError(UserError):
    """A phrase the engine cannot hear, worded with what to change.

    ``plain`` says the same in a couple's words, for the settings page."""

    def __init__(self, message: str, plain: str = "") -> None:
        super().__init__(message)
        self.plain = plain or "It cannot hear this phrase: pick everyday words."


class Engine(Protocol):
    """A recogniser that listens for a fixed set of phrases."""

    name: str

    def feed(self, frame: np.ndarray) -> str | None:
        """Take int16 mono 16 kHz samples (<= 100 ms); the phrase heard, or None."""

    def reset(self) -> None:
        """Forget all audio so far."""

    def close(self) -> None:
        """Free the model."""


@dataclass(frozen=True)
class Finding:
    """One result of checking a phrase: ``ok`` False means the engine cannot hear it.

    ``plain`` is the refusal in a couple's words ("It cannot hear 'xyzzy': pick everyday words.")."""

    engine: str
    ok: bool
    message: str
    plain: str = ""


class Spotter(Protocol):
    """Frames in, :class:`~pi_pause.events.PhraseHeard` out (the listener's side of the ear)."""

    engine_name: str

    def feed(self, frame: np.ndarray) -> PhraseHeard | None:
        """Feed int16 mono 16 kHz samples; what was heard, or None."""

    def reset(self) -> None:
        """Forget all audio so far (after the device has spoken)."""

    def finish(self) -> PhraseHeard | None:
        """The input has ended (a recording's last frame): decide on what was heard last."""

    def close(self) -> None:
        """Free the engine."""


class AudioSource(Protocol):
    """A context manager that delivers frames: the microphone, or a recording.

    ``read`` returns int16 mono 16 kHz samples, or None when nothing came within
    ``timeout`` seconds. A recording raises :class:`~pi_pause.ear.listener.EndOfInput`
    at its end; a microphone that vanishes raises a :class:`~pi_pause.errors.UserError`.
    """

    def __enter__(self) -> AudioSource: ...

    def __exit__(self, *exc) -> None: ...

    def read(self, timeout: float) -> np.ndarray | None: ...
