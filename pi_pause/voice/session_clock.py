"""Clocks a session runs on: the real one, and a fake one for tests and preview.

A session measures every phase against ``clock.now()`` and waits with
``clock.wait(seconds, stop)``, so a :class:`FakeClock` makes a two-minute
session run in an instant with exact timings (and lets a WAV sink place each
clip at its exact time).
"""

from __future__ import annotations

import threading
import time


class RealClock:
    """Monotonic seconds; waits wake early when ``stop`` is set."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, seconds: float, stop) -> bool:
        """Sleep up to ``seconds``; True if ``stop`` was set (then return at once)."""
        if seconds > 0:
            stop.wait(seconds)
        return stop.is_set()


class FakeClock:
    """Time that moves only when waited on (or advanced by a sink that "plays")."""

    def __init__(self, start: float = 0.0):
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def wait(self, seconds: float, stop) -> bool:
        if stop.is_set():
            return True
        self.advance(seconds)
        return False


class AnyEvent:
    """Set when any of its events is set: lets one wait wake for cancel or skip."""

    def __init__(self, *events: threading.Event, poll: float = 0.01):
        self.events = events
        self.poll = poll

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def wait(self, timeout: float | None = None) -> bool:
        # The first event (cancel) wakes us at once; the others are noticed within `poll`.
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = self.poll if deadline is None else min(self.poll, deadline - time.monotonic())
            if left <= 0:
                break
            self.events[0].wait(left)
        return self.is_set()
