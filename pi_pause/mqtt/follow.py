"""From the service's ``status`` replies to what the bridge publishes: values and events.

The bridge asks the service for its status about once a second (:mod:`pi_pause.mqtt.bridge`).
:class:`Follower` turns each reply into the retained values of :mod:`pi_pause.mqtt.topics`
and, by comparing it with the reply before, into events. A pause or check-in that began
and ended between two looks is still seen: the service counts how many began.

Only what is listed here leaves the house: states, times, health, and how a pause began.
Any other field of the reply (and any future one) is never published.
"""

from __future__ import annotations

from dataclasses import dataclass

from pi_pause.mqtt.topics import APART, HEALTH, HOW, NONE


@dataclass(frozen=True)
class Event:
    """Something that happened: ``pause_started`` (with how), ``break_ended``,
    ``checkin_started``, ``checkin_ended``."""

    event_type: str
    how: str = ""

    def payload(self) -> dict:
        return {"event_type": self.event_type, **({"how": self.how} if self.how else {})}


class Follower:
    """Remembers the last status; says what changed."""

    def __init__(self) -> None:
        self._last: dict | None = None

    def look(self, status: dict | None) -> tuple[dict[str, str], list[Event]]:
        """(values by topic name, events) for a status reply, or ``None`` when the service
        did not answer (then only ``service`` changes; the rest keeps its last value)."""
        if status is None or not isinstance(status.get("state"), str):
            self._last = None  # the next answer is a fresh start: no events from the gap
            return {"service": "offline"}, []
        state = status["state"]
        values = {
            "service": "online",
            "state": state,
            "on_break": "ON" if state in APART else "OFF",
            "return_time": _text(status.get("return_time")) if state in APART else NONE,
            "next_checkin": _text(status.get("next_checkin")),
            **{key: _text(status.get(key), "unknown") for key in HEALTH},
        }
        events = _events(self._last, status) if self._last is not None else []
        self._last = status
        return values, events


def _events(before: dict, now: dict) -> list[Event]:
    new_pauses = _count(now, "pauses") - _count(before, "pauses")
    new_checkins = _count(now, "checkins") - _count(before, "checkins")
    if new_pauses < 0 or new_checkins < 0:
        return []  # the service restarted between two looks: start afresh
    events = []
    was_apart, is_apart = before["state"] in APART, now["state"] in APART
    if new_pauses:
        if was_apart:
            events.append(Event("break_ended"))  # that pause ended and another began
        how = now.get("started_by") if is_apart else None
        events.append(Event("pause_started", how if how in HOW else "unknown"))
        if not is_apart:
            events.append(Event("break_ended"))
    elif was_apart and not is_apart:
        events.append(Event("break_ended"))
    was_in, is_in = before["state"] == "checking_in", now["state"] == "checking_in"
    if new_checkins:
        if was_in:
            events.append(Event("checkin_ended"))
        events.append(Event("checkin_started"))
        if not is_in:
            events.append(Event("checkin_ended"))
    elif was_in and not is_in:
        events.append(Event("checkin_ended"))
    return events


def _count(status: dict, key: str) -> int:
    value = status.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value, missing: str = NONE) -> str:
    """A short plain value; anything else (a list, a long text) is not published."""
    if isinstance(value, str) and value and len(value) <= 80 and value.isprintable():
        return value
    return missing
