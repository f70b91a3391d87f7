"""What the service is built from: the parts that hear, speak and light, as contracts.

The controller and the wiring depend only on these Protocols. The real parts
(:mod:`pi_pause.ear`, :mod:`pi_pause.voice`) satisfy them, and so do the tests'
stand-ins, so a test can run the whole service with a scripted session or a
spotter that fires on cue::

    parts = dataclasses.replace(real_parts(), open_spotter=lambda settings: MySpotter())
    Service(settings, Options(simulate=True), parts=parts).start()

:class:`Parts` holds one factory per part; :func:`real_parts` gives the real ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from pi_pause import config
from pi_pause.ear.engine import AudioSource, Spotter
from pi_pause.voice.player import Player


class Light(Protocol):
    """The LED as the controller drives it: every call returns at once."""

    @property
    def value(self) -> float:
        """The current brightness, 0 to 1."""

    def on(self) -> None: ...

    def off(self) -> None: ...

    def fade(self, to: float, seconds: float) -> None: ...

    def pulse_slow(self) -> None:
        """The slow, dim pulse of the quiet break."""

    def close(self) -> None: ...


class Sessions(Protocol):
    """The spoken scripts: ``pause``, ``return`` and ``checkin``."""

    def prepare(self, prune: bool = True, stop: threading.Event | None = None,
                progress=None) -> object:
        """Make every clip ready (render what is not cached; with ``prune``, remove clips
        no script needs any more); ``stop`` ends it early, and ``progress(done, total)``
        follows it. The service runs it in the background at start, and a pause
        meanwhile renders what it needs as it goes."""

    def run(self, kind: str, *, cancel: threading.Event, skip: threading.Event,
            context: dict) -> None:
        """Play script ``kind`` to its end; stop within moments of ``cancel``,
        move to the next step on ``skip``."""


@dataclass(frozen=True)
class Parts:
    """One factory for each part the service builds at start-up."""

    open_spotter: Callable[[config.Settings], Spotter]
    """The phrase spotter for the settings (loads the speech model: the slow part)."""
    open_microphone: Callable[[str], AudioSource]
    """The microphone for ``[listen] input_device``."""
    make_sessions: Callable[..., Sessions]
    """``(settings, player, light, clock=...)``: the spoken scripts."""
    make_light: Callable[[int, object], Light]
    """``(pin, pin_factory)``: the LED on a gpiozero pin factory."""
    make_speaker: Callable[[str], Player]
    """The sound card for ``[voice] output_device``."""
    make_wav_sink: Callable[[Path], Player]
    """A WAV file that collects what would have been played (``--sound-dir``)."""


def real_parts() -> Parts:
    """The parts a real pi-pause is made of."""
    from pi_pause.ear.microphone import Microphone
    from pi_pause.ear.spotter import open_spotter
    from pi_pause.voice.light import Light as PwmLight
    from pi_pause.voice.player import SpeakerPlayer, WavSink
    from pi_pause.voice.session import Sessions as ScriptedSessions

    return Parts(
        open_spotter=lambda settings: open_spotter(settings, live=True),
        open_microphone=Microphone,
        make_sessions=ScriptedSessions,
        make_light=lambda pin, pin_factory: PwmLight(pin, pin_factory=pin_factory),
        make_speaker=SpeakerPlayer,
        make_wav_sink=WavSink,
    )
