"""Wall clocks for the service: the controller's and the check-in timer's only source of time.

The controller and the check-in timer never call ``time`` or ``datetime.now``
directly; they ask one of these. (The spoken scripts keep their own, simpler
clock of seconds: :mod:`pi_pause.voice.session_clock`.) :class:`SystemClock` is the real one.
:class:`ManualClock` stands still until a test moves it with :meth:`ManualClock.advance`,
so a 20-minute break or a whole night of waiting for a check-in takes no real time::

    clock = ManualClock(datetime(2026, 3, 8, 1, 0, tzinfo=ZoneInfo("America/New_York")))
    clock.advance(30 * 60)   # half an hour later, instantly
    clock.now()              # 01:30 local, as an aware datetime

Two kinds of time are kept apart on purpose: ``monotonic()`` measures durations
(a break of 20 minutes stays 20 minutes even if NTP corrects the wall clock),
``now()`` is the wall clock, used only for things people read or schedule
("back together at 9:40", "check-in at 21:00").
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Callable


def later(moment: datetime, seconds: float) -> datetime:
    """``moment`` plus real elapsed seconds, in its own zone.

    Plain ``moment + timedelta`` adds wall-clock time, which is off by an hour
    across a DST change; this goes through UTC.
    """
    return (moment.astimezone(timezone.utc) + timedelta(seconds=seconds)).astimezone(moment.tzinfo)


def round_up_to_five_minutes(moment: datetime) -> datetime:
    """The next whole five minutes on the wall clock (``moment`` itself if already on one).

    Return times are spoken on a five-minute grid ("back together at twenty to
    ten"), rendered in advance. Rounded in UTC: every zone's offset is a whole
    number of quarter hours, so this is the same grid in local time, and a DST
    change cannot shift it.
    """
    utc = moment.astimezone(timezone.utc)
    base = utc.replace(second=0, microsecond=0)
    if base < utc:
        base += timedelta(minutes=1)
    base += timedelta(minutes=(-base.minute) % 5)
    return base.astimezone(moment.tzinfo)


def return_time(now: datetime, minutes: float) -> datetime:
    """When a break that starts ``now`` ends: ``minutes`` of real time later, rounded
    up to the five-minute grid so it can be said naturally ("at twenty to ten") from
    a clip rendered in advance."""
    return round_up_to_five_minutes(later(now, minutes * 60))


class SystemClock:
    """The real clock: local wall time from the system, durations from ``time.monotonic``."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz if tz is not None else local_zone()  # a named zone: DST rules included

    def now(self) -> datetime:
        """The current wall time, time-zone aware (the system zone unless one was given)."""
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Wait ``seconds``; return True early if ``interrupt`` is set."""
        if interrupt is None:
            time.sleep(max(0.0, seconds))
            return False
        return interrupt.wait(max(0.0, seconds))

    def on_advance(self, callback: Callable[[], None]) -> None:
        """Real time needs no nudging; only the fake clock calls these."""

    def real_timeout(self, seconds: float) -> float:
        """How long to block in real time to let ``seconds`` of this clock pass."""
        return max(0.0, seconds)


class ManualClock:
    """A clock that moves only when told to; waits finish as soon as their time is reached."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a time-zone aware start time")
        self._start = start
        self._elapsed = 0.0
        self._cond = threading.Condition()
        self._listeners: list[Callable[[], None]] = []
        self.tz = start.tzinfo

    def now(self) -> datetime:
        with self._cond:
            elapsed = self._elapsed
        return later(self._start, elapsed)

    def monotonic(self) -> float:
        with self._cond:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose time has come."""
        with self._cond:
            self._elapsed += seconds
            self._cond.notify_all()
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def set(self, when: datetime) -> None:
        """Jump to the aware instant ``when`` (forward only)."""
        # Subtract in UTC: two datetimes of one zone subtract by wall time alone.
        delta = (when.astimezone(timezone.utc) - self.now().astimezone(timezone.utc)).total_seconds()
        if delta < 0:
            raise ValueError("ManualClock only moves forward")
        self.advance(delta)

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Block until the clock has been advanced by ``seconds`` or ``interrupt`` is set."""
        with self._cond:
            deadline = self._elapsed + seconds
            while self._elapsed < deadline:
                if interrupt is not None and interrupt.is_set():
                    return True
                # Poll the interrupt a few times a second: it is a separate Event.
                self._cond.wait(0.02)
        return interrupt is not None and interrupt.is_set()

    def on_advance(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every :meth:`advance` (lets a waiting thread re-check)."""
        with self._cond:
            self._listeners.append(callback)

    def real_timeout(self, seconds: float) -> float:
        """Fake time passes only through :meth:`advance`, which wakes listeners itself."""
        return 0.0 if seconds <= 0 else float("inf")


def local_zone() -> tzinfo:
    """The system's time zone with its DST rules (``TZ``, else /etc/localtime)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:  # /etc/localtime is usually a link into the zoneinfo tree: use the zone's name
            link = os.path.realpath("/etc/localtime")
            name = link.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in link else ""
        except OSError:
            name = ""
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ZoneInfoNotFoundError, ValueError):
        logging.getLogger(__name__).warning(
            "cannot read the system time zone; using UTC (set it with timedatectl)")
        return timezone.utc
