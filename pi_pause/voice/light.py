"""The LED: full on at the trigger, breathing with the voice, a dim pulse on the break.

Wire an LED with a resistor (about 220 ohm) from a GPIO pin to ground; pin 18
has hardware PWM, so fades are smooth. gpiozero's ``PWMLED`` drives it. Every
call returns at once and replaces whatever the light was doing, so a stop is
never held up by a fade in progress::

    light = Light(18)        # or Light(18, pin_factory=MockFactory(pin_class=MockPWMPin))
    light.on()               # at the trigger, immediately
    light.fade(0.05, 6.0)    # a long breath out
    light.pulse_slow()       # during the break
    light.off()

What the light does is kept as a "program" (a level, a fade, a pulse) that is a
pure function of time: a small thread applies it to the pin about 50 times a
second, and :func:`levels` can replay a recorded history (``record=True``) to
print the timeline of a session on a machine with no LED.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from pi_pause.errors import UserError

PULSE_LOW, PULSE_HIGH, PULSE_PERIOD = 0.02, 0.2, 8.0  # the break: dim, slow (8 s a breath)

log = logging.getLogger(__name__)


class LightError(UserError):
    """The LED's pin cannot be used."""


@dataclass(frozen=True)
class Program:
    """Brightness over time: a fade from ``start`` to ``target`` over ``seconds``
    beginning at ``t0``; or, if ``pulse``, a slow dim swell and ebb."""

    t0: float
    start: float
    target: float
    seconds: float = 0.0
    pulse: bool = False

    def level(self, t: float) -> float:
        if self.pulse:
            phase = ((t - self.t0) / PULSE_PERIOD) % 1.0
            swell = 0.5 - 0.5 * math.cos(2 * math.pi * phase)
            return PULSE_LOW + (PULSE_HIGH - PULSE_LOW) * swell
        if self.seconds <= 0 or t >= self.t0 + self.seconds:
            return self.target
        done = max(0.0, (t - self.t0) / self.seconds)
        return self.start + (self.target - self.start) * done

    def settled(self, t: float) -> bool:
        return not self.pulse and t >= self.t0 + self.seconds


class Light:
    """A PWM LED on ``pin`` (BCM numbering); ``pin=None`` is a light with no LED.

    ``pin_factory`` is gpiozero's, as every gpiozero device takes it (None: gpiozero's
    default, ``Device.pin_factory``). Pins that cannot do PWM give an on/off LED.

    ``clock`` gives the time programs are laid on (a fake clock in preview);
    ``record`` keeps every program with its start time in :attr:`history`.
    """

    def __init__(self, pin: int | None, *, pin_factory=None, clock=time.monotonic,
                 record: bool = False, fps: float = 50.0):
        self._clock = clock
        self._led = _led(pin, pin_factory) if pin is not None else None
        self._fps = fps
        self._cond = threading.Condition()
        self._program = Program(clock(), 0.0, 0.0)
        self._closed = False
        self.history: list[Program] | None = [] if record else None
        self._thread = None
        if self._led is not None:
            self._led.value = 0.0
            self._thread = threading.Thread(target=self._run, name="light", daemon=True)
            self._thread.start()

    @property
    def value(self) -> float:
        """The current brightness, 0 (off) to 1 (full)."""
        return self._program.level(self._clock())

    def on(self) -> None:
        """Full brightness, now."""
        self._set(Program(self._clock(), 1.0, 1.0))

    def off(self) -> None:
        """Dark, now."""
        self._set(Program(self._clock(), 0.0, 0.0))

    def fade(self, to: float, seconds: float) -> None:
        """Move smoothly from the current brightness to ``to`` over ``seconds``."""
        now = self._clock()
        to = min(1.0, max(0.0, to))
        self._set(Program(now, self._program.level(now), to, max(0.0, seconds)))

    def pulse_slow(self) -> None:
        """A slow, dim swell and ebb, over and over: the quiet break."""
        self._set(Program(self._clock(), PULSE_LOW, PULSE_LOW, pulse=True))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._led is not None:
            self._led.close()

    def _set(self, program: Program) -> None:
        with self._cond:
            self._program = program
            if self.history is not None:
                self.history.append(program)
            if self._led is not None:
                # Apply the first level here, in the caller's thread: "on" must not
                # wait for the animation thread to be scheduled.
                self._led.value = program.level(program.t0)
            self._cond.notify_all()

    def _run(self) -> None:
        step = 1.0 / self._fps
        with self._cond:
            while not self._closed:
                program, now = self._program, self._clock()
                level = round(program.level(now), 3)
                if abs(self._led.value - level) > 1e-6:
                    self._led.value = level
                # A settled program needs no ticks: sleep until the next command.
                self._cond.wait(None if program.settled(now) else step)


def levels(history: list[Program], end: float, step: float = 0.5, start: float | None = None):
    """(time, brightness) every ``step`` seconds from a recorded history."""
    if not history:
        return []
    t = history[0].t0 if start is None else start
    rows, i = [], 0
    while t <= end + 1e-9:
        while i + 1 < len(history) and history[i + 1].t0 <= t + 1e-9:
            i += 1
        rows.append((t, history[i].level(t) if history[i].t0 <= t + 1e-9 else 0.0))
        t += step
    if rows and rows[-1][0] < end - 1e-9:  # always show where it ends
        rows.append((end, history[-1].level(end)))
    return rows


def _led(pin: int, pin_factory):
    """A gpiozero PWMLED on ``pin``, or an on/off LED where the pins cannot do PWM."""
    from gpiozero import LED, PWMLED
    from gpiozero.exc import GPIOZeroError, PinPWMUnsupported

    try:
        try:
            return PWMLED(pin, pin_factory=pin_factory)
        except PinPWMUnsupported:
            log.warning("GPIO %s cannot dim (no PWM): the LED turns on and off instead of fading", pin)
            return _OnOffLed(LED(pin, pin_factory=pin_factory))
    except GPIOZeroError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise LightError(f"LED on GPIO {pin}: {reason}; check [gpio] led_pin and the wiring") from None


class _OnOffLed:
    """A plain LED behind PWMLED's ``value``: lit at any brightness above zero."""

    def __init__(self, led) -> None:
        self._led = led
        self._value = 0.0

    @property
    def value(self) -> float:
        return self._value

    @value.setter
    def value(self, level: float) -> None:
        self._value = level
        self._led.value = level > 0

    def close(self) -> None:
        self._led.close()
