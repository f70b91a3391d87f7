"""Running one spoken script at a time, in a worker thread, stoppable at once.

``Sessions.run`` blocks until its script ends. The controller must stay free to
react meanwhile (a long press has to stop the voice *now*), so each script runs
in its own thread, with two events the controller keeps:

* ``cancel``: stop now (the script returns within 50 ms, by contract);
* ``skip``: jump to the next step.

When a script ends, for whatever reason, the runner reports
:class:`SessionEnded` (with the error, if it raised) to the controller's inbox.
A script that was cancelled may report after a newer one started; the controller
asks :meth:`SessionRunner.finished` whether a report is about the current one.

The runner also tells the echo guard when the device is speaking: from the first
script started until the last one running has ended.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

from pi_pause.echo import EchoGuard

log = logging.getLogger(__name__)

# A cancelled script returns within 50 ms by contract; wait a little longer
# before starting the next one, so two voices never overlap.
JOIN_SECONDS = 0.5


@dataclass(frozen=True)
class SessionEnded:
    """A script stopped: it finished, was cancelled, or raised ``error``."""

    token: int
    kind: str
    error: BaseException | None


@dataclass
class _Running:
    token: int
    kind: str
    cancel: threading.Event
    skip: threading.Event
    worker: threading.Thread


class SessionRunner:
    """Starts, skips and cancels scripts of ``sessions``; reports each end to ``report``."""

    def __init__(self, sessions, guard: EchoGuard, report: Callable[[SessionEnded], None]) -> None:
        self.sessions = sessions
        self.guard = guard
        self.report = report
        self._current: _Running | None = None
        self._alive: set[int] = set()  # scripts whose threads have not reported yet
        self._workers: dict[int, threading.Thread] = {}
        self._token = 0

    @property
    def busy(self) -> bool:
        """Is a script (the current one) running?"""
        return self._current is not None

    def start(self, kind: str, context: dict) -> None:
        """End the current script, if any, then start ``kind``."""
        self.end()
        self._token += 1
        cancel, skip = threading.Event(), threading.Event()
        worker = threading.Thread(target=self._run, name=f"session-{kind}",
                                  args=(self._token, kind, cancel, skip, context), daemon=True)
        self._current = _Running(self._token, kind, cancel, skip, worker)
        self._alive.add(self._token)
        self._workers = {t: w for t, w in self._workers.items() if w.is_alive()}
        self._workers[self._token] = worker
        self.guard.speaking()
        worker.start()

    def skip(self) -> None:
        """Move the current script on to its next step."""
        if self._current is not None:
            self._current.skip.set()

    def end(self) -> None:
        """Cancel the current script and give it a moment to fall silent."""
        running, self._current = self._current, None
        if running is None:
            return
        running.cancel.set()
        running.worker.join(timeout=JOIN_SECONDS)
        if running.worker.is_alive():
            log.warning("the %s script did not stop within %.1f s", running.kind, JOIN_SECONDS)

    def close(self, timeout: float = 3.0) -> None:
        """Cancel the current script and wait (up to ``timeout``) for every script
        thread to end, so what they save on the way out (the prompt rotation) is
        on disk before the process exits."""
        self.end()
        for worker in list(self._workers.values()):
            worker.join(timeout=timeout)
        self._workers.clear()

    def finished(self, ended: SessionEnded) -> bool:
        """Book an end report; True if it is about the current script (now over)."""
        self._alive.discard(ended.token)
        if not self._alive:
            self.guard.quiet()
        if self._current is None or ended.token != self._current.token:
            return False  # a script cancelled earlier, winding down
        self._current = None
        return True

    def _run(self, token: int, kind: str, cancel, skip, context: dict) -> None:
        error = None
        try:
            self.sessions.run(kind, cancel=cancel, skip=skip, context=context)
        except Exception as exc:  # reported to the controller, which logs it and goes idle
            error = exc
        self.report(SessionEnded(token, kind, error))
