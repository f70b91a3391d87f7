"""The push button: a short press pauses (or skips ahead), a long press stops everything.

Wiring: one leg of a momentary push button to the GPIO pin (``[gpio] button_pin``,
BCM 17 by default), the other to ground. The Pi's internal pull-up holds the pin
high, so no resistor is needed; pressing pulls it low.

Either partner may press; nothing records who did. Two gestures:

* **short press** (released before ``[gpio] long_press_seconds``): posts
  :class:`~pi_pause.events.ButtonPressed` when the button is released;
* **long press**: posts :class:`~pi_pause.events.ButtonHeld` the moment the hold
  time is reached, not on release, so speech stops while the finger is still down.

Try it without a Pi, on gpiozero's mock pins::

    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory
    Device.pin_factory = MockFactory()
    button = PauseButton(17, 1.5, print)
    button.pin.drive_low(); button.pin.drive_high()   # prints ButtonPressed()
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from gpiozero import Button

from pi_pause.events import ButtonHeld, ButtonPressed

log = logging.getLogger(__name__)

# Contacts chatter for a few milliseconds; ignore edges closer together than this.
BOUNCE_SECONDS = 0.02


class PauseButton:
    """A gpiozero :class:`~gpiozero.Button` turned into pi-pause events for ``post``."""

    def __init__(self, pin: int, long_press_seconds: float, post: Callable[[object], None],
                 pin_factory=None) -> None:
        self._post = post
        self._held = False
        self._lock = threading.Lock()
        self._button = Button(pin, pull_up=True, bounce_time=BOUNCE_SECONDS,
                              hold_time=long_press_seconds, pin_factory=pin_factory)
        self._button.when_pressed = self._pressed
        self._button.when_held = self._reached_hold
        self._button.when_released = self._released

    @property
    def pin(self):
        """The underlying gpiozero pin (on mock pins: ``drive_low()`` presses)."""
        return self._button.pin

    def close(self) -> None:
        self._button.close()

    def _pressed(self) -> None:
        with self._lock:
            self._held = False

    def _reached_hold(self) -> None:
        with self._lock:
            self._held = True
        log.debug("button held: stop")  # the controller logs what it did
        self._post(ButtonHeld())

    def _released(self) -> None:
        with self._lock:
            was_held, self._held = self._held, False
        if not was_held:
            log.debug("button pressed")  # the controller logs what it did
            self._post(ButtonPressed())
