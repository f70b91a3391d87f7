"""Stand-ins shared by the service tests, at the seams of :mod:`pi_pause.service.parts`.

``ScriptedSessions`` satisfies the ``Sessions`` Protocol (``prepare``, ``run(kind, cancel=,
skip=, context=)``) and ``MockLight`` the ``Light`` Protocol, over a real gpiozero PWMLED
on mock pins; :func:`stand_in_parts` puts them together with a spotter and a microphone.
"""

from __future__ import annotations

import threading
import time

from gpiozero import PWMLED

from pi_pause.service.parts import Parts


class StandInMic:
    """The microphone seam's plumbing for stand-ins: ``open()`` gives the stand-in itself,
    which works in a ``with`` block; subclasses give ``read(timeout)``."""

    def open(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


class ScriptedSessions:
    """Sessions stand-in: each run is ``steps`` steps; kinds in ``hold`` wait for skip/cancel."""

    def __init__(self, steps: int = 3, step_seconds: float = 0.01) -> None:
        self.steps, self.step_seconds = steps, step_seconds
        self.calls: list[tuple[str, dict]] = []
        self.finished: list[tuple[str, str]] = []  # (kind, "done" | "cancelled")
        self.skipped = 0
        self.hold: set[str] = set()
        self.fail: set[str] = set()
        self.cancel_seen_at: float | None = None

    def prepare(self, prune: bool = True, stop=None, progress=None) -> None:
        """Nothing to render: the steps are not spoken."""

    def run(self, kind, *, cancel: threading.Event, skip: threading.Event, context: dict) -> None:
        self.calls.append((kind, context))
        if kind in self.fail:
            self.fail.discard(kind)
            raise RuntimeError("output device busy")
        for _ in range(self.steps):
            end = time.monotonic() + (3600 if kind in self.hold else self.step_seconds)
            while time.monotonic() < end:
                if cancel.wait(0.002):
                    self.cancel_seen_at = time.monotonic()
                    self.finished.append((kind, "cancelled"))
                    return
                if skip.is_set():
                    skip.clear()
                    self.skipped += 1
                    break
        self.finished.append((kind, "done"))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.calls]


class MockLight:
    """The Light contract (on/off/pulse_slow) over a real gpiozero PWMLED on a mock pin."""

    def __init__(self, factory, pin: int = 18) -> None:
        self.led = PWMLED(pin, pin_factory=factory)
        self.mode = "off"

    def on(self):
        self.mode = "on"
        self.led.on()

    def off(self):
        self.mode = "off"
        self.led.off()

    def pulse_slow(self):
        self.mode = "pulse"
        self.led.pulse(fade_in_time=2, fade_out_time=2)

    def fade(self, to: float, seconds: float):
        self.mode = f"fade {to:g}"
        self.led.value = to

    @property
    def value(self) -> float:
        return self.led.value

    def close(self) -> None:
        self.led.close()


def stand_in_parts(*, spotter, mic, sessions) -> Parts:
    """The service's parts with ``spotter``, ``mic`` (a ScriptedMic) and ``sessions``
    standing in; the LED is a :class:`MockLight` on the service's own pin factory."""
    return Parts(
        open_spotter=lambda settings: spotter,
        open_microphone=lambda device: mic.open(),
        make_sessions=lambda settings, player, light, **kw: sessions,
        make_light=lambda pin, pin_factory: MockLight(pin_factory, pin),
        make_speaker=lambda device: None,
        make_wav_sink=lambda path: None,
    )


def eventually(check, timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)
