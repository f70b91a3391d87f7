"""Which pins: the Pi's real GPIO, or gpiozero's mock pins on any other machine.

On a Raspberry Pi, gpiozero finds its pin library (lgpio on Raspberry Pi OS)
by itself. On a laptop or a build server there is no GPIO, and the whole
service still runs on gpiozero's own :class:`~gpiozero.pins.mock.MockFactory`:
the LED's state is printed instead of lit, and the terminal's Enter key
presses the button (see :mod:`pi_pause.service.simulation`).

``GPIOZERO_PIN_FACTORY=mock`` forces the mock pins, as gpiozero documents.

gpiozero's mock pins remember every level they were set to (for tests that
replay them); a pulsing LED sets thousands an hour, so a laptop left running
would grow without end. The service's mock pins keep only the latest
:data:`KEPT_STATES`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass


KEPT_STATES = 500  # levels a mock pin remembers


def _mock_factory():
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    class RecentStatesPin(MockPWMPin):
        """A mock PWM pin that forgets all but its latest levels (bounded memory)."""

        def _change_state(self, value):
            changed = super()._change_state(value)
            if len(self.states) > 2 * KEPT_STATES:
                del self.states[:-KEPT_STATES]
            return changed

    return MockFactory(pin_class=RecentStatesPin)


@dataclass
class Pins:
    """The chosen pin factory and a few words about it for logs and the doctor."""

    factory: object
    simulated: bool
    description: str
    problem: str = ""  # why the real GPIO could not be used, if it could not


def choose(simulate: bool = False) -> Pins:
    """Real GPIO when available (and not ``simulate``), else mock pins that support PWM."""
    from gpiozero import Device

    forced = os.environ.get("GPIOZERO_PIN_FACTORY", "").lower() == "mock"
    if simulate or forced:
        why = "--simulate" if simulate else "GPIOZERO_PIN_FACTORY=mock"
        return Pins(_mock_factory(), True, f"mock pins ({why})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gpiozero warns once per library it tries
            factory = Device._default_pin_factory()
    except Exception as exc:  # BadPinFactory and whatever a pin library raises
        return Pins(_mock_factory(), True, "mock pins (no GPIO on this machine)",
                    problem=str(exc))
    return Pins(factory, False, type(factory).__name__.replace("Factory", "") + " GPIO")
