"""Events: small frozen facts that flow into the controller.

Producers (the phrase spotter, the button, the clock, the control socket) only
create these; the controller alone decides what they mean in its current state.
None of them carries what anybody said.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhraseHeard:
    """One of the agreed phrases was heard; ``time`` is seconds of audio consumed."""

    phrase: str
    time: float


@dataclass(frozen=True)
class ButtonPressed:
    """A short press: start a pause, or skip ahead during one."""


@dataclass(frozen=True)
class ButtonHeld:
    """A long press: stop everything now."""


@dataclass(frozen=True)
class CheckinDue:
    """The scheduled nightly check-in time has come."""


@dataclass(frozen=True)
class Command:
    """A request over the control socket: 'pause', 'checkin' or 'stop'."""

    name: str
