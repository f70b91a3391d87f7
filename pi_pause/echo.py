"""The echo guard: pi-pause must never hear its own voice as the phrase.

A script that says "let's take a pause, together" would otherwise start a new
pause every time it was spoken. So while the device speaks, and for a short tail
after (room echo, the last buffered audio frames), the microphone's audio is not
listened to at all, and detections are ignored.

The controller calls :meth:`EchoGuard.speaking` when a spoken session starts and
:meth:`EchoGuard.quiet` when it ends. The listener asks :meth:`EchoGuard.is_open`
for every frame; when :attr:`EchoGuard.generation` changed since it last
listened, it resets the spotter so no half-heard words from before carry over::

    if not guard.is_open():
        continue                      # drop the frame: it may be our own voice
    if guard.generation != seen:
        spotter.reset(); seen = guard.generation
"""

from __future__ import annotations

import threading
import time
from typing import Callable

TAIL_SECONDS = 1.0


class EchoGuard:
    """Open (listening) or closed (speaking, or just finished speaking)."""

    def __init__(self, tail_seconds: float = TAIL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.tail_seconds = tail_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._speaking = False
        self._quiet_since = float("-inf")
        self.generation = 0

    def speaking(self) -> None:
        """The device starts to speak: stop listening now."""
        with self._lock:
            self._speaking = True
            self.generation += 1

    def quiet(self) -> None:
        """The device stopped speaking: listen again after the tail."""
        with self._lock:
            if self._speaking:
                self._speaking = False
                self._quiet_since = self._monotonic()

    def is_open(self) -> bool:
        """May what the microphone hears now be taken as a person speaking?"""
        with self._lock:
            if self._speaking:
                return False
            return self._monotonic() - self._quiet_since >= self.tail_seconds
