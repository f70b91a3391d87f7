"""Mock pins on a laptop run for days: their memory of LED levels stays bounded."""

from __future__ import annotations

from gpiozero import PWMLED

from pi_pause.service import gpio


def test_a_long_simulated_run_keeps_the_led_pins_memory_bounded():
    pins = gpio.choose(simulate=True)
    led = PWMLED(18, pin_factory=pins.factory)
    try:
        for i in range(20_000):  # about an hour of breathing fades and pulses
            led.value = (i % 100) / 100
        states = led.pin.states
        assert len(states) <= 2 * gpio.KEPT_STATES
        assert states[-1].state == led.value  # the latest level is still known
    finally:
        led.close()
        pins.factory.close()
