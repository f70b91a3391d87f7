"""Clock times and lengths of time as a person would say them.

The words come from ``prompts/time.toml``; this module only knows English
clock arithmetic. Every form may use ``{hour}``, ``{next_hour}``, ``{minutes}``
(minutes past the hour, or, in the "to" forms, minutes to the next) and
``{hour_minutes}`` (the time read as numbers: "nine forty", "nine oh five").
American English says 9:40 as "nine forty" (every form is ``{hour_minutes}``);
British English says "twenty to ten" (``to = "{minutes} to {next_hour}"``)::

    words = TimeWords.from_table(tomllib.loads(Path("prompts/time.toml").read_text()))
    words.at(datetime.time(21, 40))   # 'at nine forty' (the shipped, American forms)
    words.length(90)                  # 'an hour and a half'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

FORMS = ("style", "at", "o_clock", "quarter_past", "half_past", "quarter_to", "past", "to",
         "exact", "oh", "noon", "midnight", "one_minute", "minutes_length", "one_hour", "hours_length",
         "half_hour", "hours_and_minutes")


@dataclass(frozen=True)
class TimeWords:
    """The wording for times, loaded from prompts/time.toml."""

    style: str
    at_: str
    o_clock: str
    quarter_past: str
    half_past: str
    quarter_to: str
    past: str
    to: str
    exact: str
    oh: str
    noon: str
    midnight: str
    one_minute: str
    minutes_length: str
    one_hour: str
    hours_length: str
    half_hour: str
    hours_and_minutes: str
    numbers: tuple[str, ...]
    tens: tuple[str, ...]

    @classmethod
    def from_table(cls, table: dict) -> TimeWords:
        values = {f.name: table[f.name.rstrip("_")] for f in fields(cls)}
        values["numbers"], values["tens"] = tuple(values["numbers"]), tuple(values["tens"])
        return cls(**values)

    def number(self, n: int) -> str:
        """0-99 in words: 'seven', 'forty-three'."""
        if n < 20:
            return self.numbers[n]
        tens, ones = divmod(n, 10)
        return self.tens[tens] + (f"-{self.numbers[ones]}" if ones else "")

    def clock(self, t: dt.time | dt.datetime) -> str:
        """The time of day: 'twenty to ten', 'half past nine', 'nine oh seven'."""
        h, m = t.hour, t.minute
        if self.style == "digits":
            return f"{(h - 1) % 12 + 1}:{m:02d}"
        if m == 0 and h in (0, 12):
            return self.midnight if h == 0 else self.noon
        hour = self.number((h - 1) % 12 + 1)
        said = {"hour": hour, "next_hour": self.number(h % 12 + 1), "minutes": self.number(m)}
        if m == 0:
            return self.o_clock.format(**said, hour_minutes=hour)
        minutes = self.oh.format(minutes=self.number(m)) if m < 10 else self.number(m)
        said["hour_minutes"] = self.exact.format(hour=hour, minutes=minutes)
        if m == 15:
            return self.quarter_past.format(**said)
        if m == 30:
            return self.half_past.format(**said)
        if m == 45:
            return self.quarter_to.format(**said)
        if m % 5 == 0:
            if m < 30:
                return self.past.format(**said)
            return self.to.format(**(said | {"minutes": self.number(60 - m)}))
        return self.exact.format(hour=hour, minutes=minutes)

    def at(self, t: dt.time | dt.datetime) -> str:
        """'at twenty to ten'."""
        return self.at_.format(time=self.clock(t))

    def length(self, minutes: int) -> str:
        """A duration: 'twenty minutes', 'an hour', 'an hour and a half', 'two hours and ten minutes'."""
        hours, rest = divmod(minutes, 60)
        mins = self.one_minute if rest == 1 else self.minutes_length.format(n=self.number(rest))
        if hours == 0:
            return mins
        hrs = self.one_hour if hours == 1 else self.hours_length.format(n=self.number(hours))
        if rest == 0:
            return hrs
        if rest == 30:
            return self.half_hour.format(hours=hrs)
        return self.hours_and_minutes.format(hours=hrs, minutes=mins)


def grid(step_minutes: int = 5):
    """Every time of day on the grid (the spoken return times to render in advance)."""
    for minute in range(0, 24 * 60, step_minutes):
        yield dt.time(minute // 60, minute % 60)
