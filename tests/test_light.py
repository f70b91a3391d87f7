"""The LED, through gpiozero's real mock pins."""

import time

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from pi_pause.voice.session_clock import FakeClock
from pi_pause.voice.light import PULSE_HIGH, PULSE_LOW, Light, levels


@pytest.fixture
def light(mock_pins):
    led = Light(18)
    yield led
    led.close()


def timeline(pin):
    """(seconds since the first state, value) for every state the pin went through."""
    out, t = [], 0.0
    for state in pin.states:
        t += state.timestamp
        out.append((t, state.state))
    return out


def test_on_lights_the_led_at_once_and_off_darkens_it(light, mock_pins):
    pin = mock_pins.pin(18)
    pin.clear_states()
    light.on()
    lit = time.monotonic()
    time.sleep(0.2)
    light.off()
    pin.assert_states_and_times([(0.0, 0.0), (0.0, 1.0), (time.monotonic() - lit, 0.0)])


def test_on_takes_well_under_50_ms(light, mock_pins):
    start = time.perf_counter()
    light.on()
    elapsed = time.perf_counter() - start
    assert mock_pins.pin(18).state == 1.0
    assert elapsed < 0.05


def test_fade_reaches_its_target_at_the_right_time(light, mock_pins):
    pin = mock_pins.pin(18)
    light.on()
    start = time.monotonic()
    light.fade(0.0, 0.4)
    time.sleep(0.2)
    halfway = pin.state
    time.sleep(0.35)
    states = timeline(pin)
    reached = next(t for t, v in states if v == 0.0 and t > 0)
    began = next(t for t, v in states if v == 1.0)
    assert abs((reached - began) - 0.4) < 0.05
    assert 0.3 < halfway < 0.7
    assert pin.state == 0.0 and light.value == 0.0
    assert time.monotonic() - start >= 0.4


def test_a_later_call_interrupts_a_fade_at_once(light, mock_pins):
    pin = mock_pins.pin(18)
    light.on()
    light.fade(0.0, 5.0)
    time.sleep(0.1)
    light.off()
    assert pin.state == 0.0
    time.sleep(0.1)
    assert pin.state == 0.0 and light.value == 0.0


def test_slow_pulse_stays_dim_and_moves(light, mock_pins):
    pin = mock_pins.pin(18)
    light.pulse_slow()
    seen = set()
    for _ in range(20):
        time.sleep(0.05)
        seen.add(pin.state)
    assert all(PULSE_LOW - 1e-3 <= v <= PULSE_HIGH + 1e-3 for v in seen)
    assert len(seen) > 3  # it is changing, slowly


def test_the_default_mock_pins_work_too(monkeypatch):
    # GPIOZERO_PIN_FACTORY=mock makes non-PWM mock pins; the light copes.
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        led = Light(12)
        led.on()
        assert Device.pin_factory.pin(12).state == 1.0
        led.close()
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = previous


def test_recorded_history_replays_as_time_and_brightness_rows():
    clock = FakeClock()
    light = Light(None, clock=clock.now, record=True)
    light.on()
    clock.advance(1.0)
    light.fade(0.0, 2.0)
    clock.advance(2.0)
    rows = levels(light.history, clock.now(), step=0.5)
    assert rows == [(0.0, 1.0), (0.5, 1.0), (1.0, 1.0), (1.5, 0.75), (2.0, 0.5), (2.5, 0.25),
                    (3.0, 0.0)]


def test_a_pin_already_in_use_is_a_one_line_error(light):
    from pi_pause.voice.light import LightError

    with pytest.raises(LightError, match=r"^LED on GPIO 18: .*; check \[gpio\] led_pin"):
        Light(18)
