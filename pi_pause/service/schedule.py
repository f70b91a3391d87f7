"""The nightly check-in schedule: when is the next one, and is one due now?

The couple picks a local time and days (``[checkin] time`` and ``days``). Turning
"21:00 on weekdays" into instants is mostly easy, except twice a year:

* **Spring forward.** A time inside the skipped hour (02:30 on the night US clocks
  jump from 02:00 to 03:00) does not exist that day. The check-in fires once, at
  the first moment that does exist after it: 03:00.
* **Fall back.** A time inside the repeated hour (01:30 happens twice) fires once,
  at its first occurrence.

And across restarts: the local date of the last check-in that fired is kept in
``state_dir/checkin.json``, so restarting the service never repeats an evening.
A check-in missed while the device was off or restarting is still offered if the
service comes back within ``[checkin] late_minutes`` of its time, never later: a
check-in at a wrong hour is worse than none.

Example::

    sched = CheckinSchedule.from_settings(settings)
    sched.next_check(clock.now())   # aware datetime of the next check-in
    sched.due(clock.now())          # the date to fire for now, or None

:class:`CheckinTimer` is the thread that waits for the next instant and posts
:class:`~pi_pause.events.CheckinDue` to the controller.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable

from pi_pause import config, dirs
from pi_pause.wallclock import local_zone
from pi_pause.events import CheckinDue

log = logging.getLogger(__name__)

STATE_FILE = "checkin.json"

# Re-read the clock at least this often while waiting: the wall clock can jump
# (a Pi has no battery clock; NTP sets it after boot) and the wait must follow it.
MAX_WAIT_SECONDS = 60.0


class CheckinSchedule:
    """Check-in instants for a local time on chosen weekdays, DST-safe, fired once per date."""

    def __init__(self, at: time, days: tuple[str, ...], tz: tzinfo | None,
                 state_file: Path | None = None, late: timedelta = timedelta(minutes=30),
                 enabled: bool = True) -> None:
        self.at = at
        self.weekdays = frozenset(config.DAYS.index(d) for d in days)
        self.tz = tz if tz is not None else local_zone()
        self.late = late
        self.enabled = enabled
        self.state_file = state_file
        self._last_fired = self._load()

    @classmethod
    def from_settings(cls, settings: config.Settings, tz: tzinfo | None = None) -> CheckinSchedule:
        c = settings.checkin
        hour, minute = (int(x) for x in c.time.split(":"))
        state = dirs.state_file(settings, STATE_FILE)  # None: kept in memory only
        return cls(time(hour, minute), c.days, tz, state, timedelta(minutes=c.late_minutes),
                   c.enabled)

    # -- when ---------------------------------------------------------------

    def instant_on(self, day: date) -> datetime:
        """The aware instant of the check-in on local date ``day``."""
        wall = datetime.combine(day, self.at)
        first = wall.replace(tzinfo=self.tz, fold=0)  # fold=0: the first of a repeated hour
        if _exists(first):
            return first
        # The wall time falls in a spring-forward gap: find the first existing
        # instant after it (the moment the clocks jumped), to the second.
        lo = wall.replace(tzinfo=self.tz, fold=1).astimezone(timezone.utc)  # before the jump
        hi = first.astimezone(timezone.utc)                                 # after the jump
        while (hi - lo) > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            if mid.astimezone(self.tz).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        return hi.replace(microsecond=0).astimezone(self.tz)

    def next_check(self, now: datetime) -> datetime | None:
        """The next check-in still to fire: in the future, or due now (within the late window)."""
        if not self.enabled:
            return None
        # Compare in UTC: Python compares two datetimes of the same zone by wall
        # time alone, which is wrong across a DST change.
        now = now.astimezone(timezone.utc)
        today = now.astimezone(self.tz).date()
        for offset in range(-1, 9):  # yesterday's may still be inside its late window
            day = today + timedelta(days=offset)
            if day.weekday() not in self.weekdays or day == self._last_fired:
                continue
            at = self.instant_on(day)
            if now < at.astimezone(timezone.utc) + self.late:
                return at
        return None

    def due(self, now: datetime) -> date | None:
        """The local date whose check-in should fire at ``now``, or None."""
        at = self.next_check(now)
        if at is not None and at.astimezone(timezone.utc) <= now.astimezone(timezone.utc):
            return at.astimezone(self.tz).date()
        return None

    # -- once per date ------------------------------------------------------

    @property
    def last_fired(self) -> date | None:
        return self._last_fired

    def mark_fired(self, day: date) -> None:
        """Remember that ``day``'s check-in fired, on disk when possible."""
        self._last_fired = day
        if self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            # A power cut leaves the old file or the new, never half; a full disk, nothing.
            dirs.write_atomically(self.state_file,
                                  (json.dumps({"last_fired": day.isoformat()}) + "\n").encode())
        except OSError as exc:
            log.warning("cannot save check-in state to %s (%s); a restart this evening "
                        "could repeat the check-in", self.state_file, exc.strerror or exc)

    def _load(self) -> date | None:
        if self.state_file is None:
            return None
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            return date.fromisoformat(data["last_fired"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable check-in state %s", self.state_file)
            return None


class CheckinTimer:
    """A thread that posts :class:`CheckinDue` when the schedule says so.

    ``post`` is the controller's inbox; the date is marked as fired when the event
    is posted, so a check-in skipped (a pause was running) or dismissed is not
    offered again that evening.
    """

    def __init__(self, schedule: CheckinSchedule, clock, post: Callable[[object], None]) -> None:
        self.schedule = schedule
        self.clock = clock
        self.post = post
        self._stop = threading.Event()
        self._wake = threading.Event()  # a stop, or a new schedule to wait for
        self._thread = threading.Thread(target=self._run, name="checkin-timer", daemon=True)

    def start(self) -> CheckinTimer:
        self._say_next()
        self._thread.start()
        return self

    def replace(self, schedule: CheckinSchedule) -> None:
        """Keep ``schedule`` from now on (the couple changed the time or the days)."""
        self.schedule = schedule
        self._say_next()
        self._wake.set()

    def _say_next(self) -> None:
        nxt = self.schedule.next_check(self.clock.now())
        if nxt is None:
            log.info("nightly check-in is off")
        else:
            log.info("next check-in %s", nxt.strftime("%a %d %b %H:%M %Z"))

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            now = self.clock.now()
            day = self.schedule.due(now)
            if day is not None:
                self.schedule.mark_fired(day)
                self.post(CheckinDue())
                continue
            nxt = self.schedule.next_check(now)
            wait = MAX_WAIT_SECONDS if nxt is None else _seconds_between(now, nxt)
            self.clock.sleep(min(max(wait, 0.0), MAX_WAIT_SECONDS), self._wake)


def _seconds_between(a: datetime, b: datetime) -> float:
    """Real seconds from ``a`` to ``b`` (via UTC, so DST changes count)."""
    return (b.astimezone(timezone.utc) - a.astimezone(timezone.utc)).total_seconds()


def _exists(moment: datetime) -> bool:
    """Does this local wall time exist (it does not inside a spring-forward gap)?"""
    back = moment.astimezone(timezone.utc).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)
