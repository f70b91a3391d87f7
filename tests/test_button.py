"""The button on gpiozero's MockFactory, with real (short) timing."""

from __future__ import annotations

import queue
import time

import pytest
from gpiozero.pins.mock import MockFactory

from pi_pause.service.button import PauseButton
from pi_pause.events import ButtonHeld, ButtonPressed

HOLD = 0.5  # the shortest long press the settings allow, to keep the test quick


@pytest.fixture
def button():
    factory = MockFactory()
    inbox: queue.Queue = queue.Queue()
    b = PauseButton(17, HOLD, inbox.put, pin_factory=factory)
    yield b, inbox
    b.close()
    factory.close()


def test_short_press_posts_pressed_on_release(button):
    b, inbox = button
    b.pin.drive_low()
    time.sleep(0.1)
    assert inbox.empty()  # nothing until the finger lifts: it might become a long press
    b.pin.drive_high()
    assert inbox.get(timeout=1) == ButtonPressed()
    time.sleep(0.05)
    assert inbox.empty()


def test_long_press_posts_held_while_still_pressed_and_nothing_on_release(button):
    b, inbox = button
    pressed_at = time.monotonic()
    b.pin.drive_low()
    assert inbox.get(timeout=HOLD + 1) == ButtonHeld()
    assert time.monotonic() - pressed_at >= HOLD - 0.05
    time.sleep(0.2)
    b.pin.drive_high()
    time.sleep(0.1)
    assert inbox.empty()


def test_a_short_press_after_a_long_one_is_a_short_press_again(button):
    b, inbox = button
    b.pin.drive_low()
    assert inbox.get(timeout=HOLD + 1) == ButtonHeld()
    b.pin.drive_high()
    time.sleep(0.1)
    b.pin.drive_low()
    time.sleep(0.05)
    b.pin.drive_high()
    assert inbox.get(timeout=1) == ButtonPressed()

