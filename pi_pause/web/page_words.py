"""What the settings page says, in a couple's words rather than the service's.

The service answers in machine terms (an ISO time, a state name, a pace factor);
a phone shows people "tomorrow at 9:00 PM", "12 minutes left", "slower"::

    when("2026-12-07T21:00+00:00", now)      # 'tomorrow at 9:00 PM'
    minutes_left(720)                        # 'about 12 minutes left'
"""

from __future__ import annotations

from datetime import datetime

from pi_pause import config

# One line for each breathing pattern in [pause] breathing (the names are the rule's own).
BREATHING = {
    "cyclic-sigh": "A breath in, a short extra sip of air, then a long, slow breath out: "
                   "the quickest way to settle.",
    "resonance": "Slow, even breathing, a little longer out than in, about six breaths a "
                 "minute: steady and soothing.",
    "box": "Four seconds in, four seconds out, as even as the sides of a square "
           "(with a hold between them if holds are turned on in the settings file).",
}

_ORDINARY = config.VoiceSettings().length_scale
# The pace as people say it, over [voice] length_scale (higher is slower).
PACES = (("slower", round(_ORDINARY + 0.25, 2)), ("ordinary", _ORDINARY),
         ("faster", round(_ORDINARY - 0.25, 2)))


def clock_time(moment: datetime) -> str:
    """9:00 PM, 12:05 AM."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def when(iso: str, now: datetime | None = None) -> str:
    """An ISO time as people say it: 'today at 9:00 PM', 'tomorrow at ...', 'on Friday
    at ...' within the week, else 'on Friday 18 December at ...'. The text as given
    when it is not an ISO time."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    now = (now or datetime.now(moment.tzinfo)).astimezone(moment.tzinfo)
    days = (moment.date() - now.date()).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif 1 < days < 7:
        day = f"on {moment:%A}"
    else:
        day = f"on {moment:%A} {moment.day} {moment:%B}"
    return f"{day} at {clock_time(moment)}"


def minutes_left(seconds: float | None) -> str:
    """'about 12 minutes left' ('less than a minute left' at the end); '' when unknown."""
    if not isinstance(seconds, (int, float)):
        return ""
    minutes = round(max(0.0, seconds) / 60)
    if minutes < 1:
        return "less than a minute left"
    return "about 1 minute left" if minutes == 1 else f"about {minutes} minutes left"
