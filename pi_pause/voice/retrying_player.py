"""A player that tries again when the speaker is busy or briefly gone.

Another program holding the sound card, or a USB speaker re-plugged, makes one
play fail; that should cost a moment of silence, not the pause. So a failed
``play`` is retried a few times with a growing wait; the wait ends at once
when the session is cancelled (a long press). If the speaker stays unusable,
the last error goes up to the session, which the controller logs before going
back to idle.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger(__name__)

RETRY_WAITS = (0.5, 1.0, 2.0)


class RetryingPlayer:
    """Wraps any Player (``play(samples, rate, cancel)``) with retries on failure."""

    def __init__(self, player, waits: tuple[float, ...] = RETRY_WAITS) -> None:
        self.player = player
        self.waits = waits
        self.working = True  # False after a play that failed every retry, until one succeeds

    def play(self, samples: np.ndarray, rate: int, cancel: threading.Event) -> None:
        for attempt, wait in enumerate((*self.waits, None)):
            try:
                self.player.play(samples, rate, cancel)
                if attempt or not self.working:
                    log.info("speaker works again")
                self.working = True
                return
            except Exception as exc:
                if wait is None or cancel.is_set():
                    self.working = False
                    raise
                if attempt == 0:
                    log.warning("speaker unavailable (%s); trying again", exc)
                if cancel.wait(wait):
                    return
