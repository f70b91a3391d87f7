"""Two-stage spotting: lenient first stages propose, the Whisper verifier confirms.

:class:`TwoStageEngine` keeps the spotter's Engine contract (``feed(frame) ->
phrase or None``). For every frame it

1. appends the frame to a ring buffer of the last few seconds (the only audio
   kept, in memory, and overwritten continuously);
2. feeds the first stages (:class:`~pi_pause.ear.candidates.Proposer`) and
   merges their candidates: proposals for the same phrase within
   ``MERGE_SECONDS`` of each other are one candidate, judged once;
3. as the audio arrives, cuts windows of ``WINDOW_SECONDS`` ending
   ``WINDOW_ENDS`` after each candidate's moment (a first stage fires during or
   just after the last word, and where exactly the phrase ends is not known), and
   hands them, one at a time, to the verification runner, the next only once the
   last was answered: the first window that passes wins, and from the second on, a
   window scoring ``GIVE_UP_NATS`` below the threshold ends the candidate (so most
   candidates cost two windows, not three); at most ``QUEUE_SIZE`` candidates wait,
   later ones are dropped;
4. returns a phrase when a verification has come back positive.

Where verification runs is a seam (:class:`Checks`):

- :class:`ThreadedChecks` (the live listener): a worker thread with a bounded
  queue. ``feed`` never waits for Whisper; when the worker is still busy and
  the queue is full, the new candidate is dropped, never a frame. The answer
  surfaces at a later ``feed``, so a detection's time includes the verifier's
  wall-clock time (about 0.1 s here).
- :class:`InlineChecks` (``pi-pause detect``, benchmarks, tests): the same
  candidates, the same windows, the same decisions, judged at once; the time is
  then when the windows were complete. A file streams faster than real time, so
  "when it is known" is exactly that moment.

Nothing about a candidate is logged: the spotter says "phrase detected", no more.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pi_pause.ear.candidates import Candidate, Proposer

log = logging.getLogger(__name__)

RATE = 16_000
WINDOW_SECONDS = 2.3  # long enough for a four-word phrase said slowly
# Seconds after a candidate's moment, in the order they are judged: the middle one first (it
# holds the whole phrase most often), then the later, then the earlier (tune split: docs/spotter.md).
WINDOW_ENDS = (0.45, 0.65, 0.25)
# A window scoring this far below the threshold ends its candidate: the later windows (the
# same words, 0.2 s later) are not judged. Never the first window alone: words said just before
# the phrase ("... a bus then! Let's take a pause.") can sink the middle window while the
# later one, which starts after them, passes. Tune split: see docs/spotter.md.
GIVE_UP_NATS = 8.0
GIVE_UP_FROM = 2  # windows judged before a hopeless score may end the candidate
MERGE_SECONDS = 0.6
REFRACTORY_SECONDS = 1.5  # one utterance of the phrase fires once
RING_SECONDS = 6.0
QUEUE_SIZE = 4
MAX_COSTS = 100_000


class Verifier(Protocol):
    """What judges a window (:class:`pi_pause.ear.verifier.WhisperVerifier`): a score, never text."""

    threshold: float  # a score at or above it confirms

    def score(self, windows: list[np.ndarray], phrase: str) -> float:
        """How well the audio in ``windows`` (float, 16 kHz) ends with ``phrase``; higher is surer."""


@dataclass(frozen=True)
class Job:
    """One window of a candidate to judge (float audio), and which listening epoch it belongs to."""

    phrase: str
    at: int  # the candidate's sample (see Candidate)
    windows: list
    epoch: int
    ticket: int  # the candidate's number, so costs add up per candidate


@dataclass(frozen=True)
class Verdict:
    job: Job
    confirmed: bool
    score: float = 0.0  # the verifier's score: far below the threshold, the candidate's later windows are skipped


class Checks(Protocol):
    """Where verifications run."""

    verifier: Verifier

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False when it had to be dropped (never blocks)."""

    cpu_seconds: dict[int, float]  # CPU spent so far on each candidate (by ticket)

    def verdicts(self) -> list[Verdict]:
        """Every verdict reached since the last call."""

    def close(self) -> None: ...


class _Costs(dict):
    """CPU seconds per candidate ticket, forgetting the oldest beyond ``MAX_COSTS`` (a service runs for months)."""

    def add(self, ticket: int, seconds: float) -> None:
        self[ticket] = self.get(ticket, 0.0) + seconds
        if len(self) > MAX_COSTS:
            del self[next(iter(self))]


class InlineChecks:
    """Judges each job at once, on the caller's thread (files, tests, benchmarks)."""

    def __init__(self, verifier: Verifier):
        self.verifier = verifier
        self.cpu_seconds = _Costs()  # per candidate, for benchmarks
        self._done: list[Verdict] = []

    def submit(self, job: Job) -> bool:
        # Process CPU, not thread CPU: ctranslate2 computes on threads of its own. Inline,
        # nothing else runs meanwhile, so this is the verifier's cost.
        started = time.process_time()
        score = self.verifier.score(job.windows, job.phrase)
        self.cpu_seconds.add(job.ticket, time.process_time() - started)
        self._done.append(Verdict(job, score >= self.verifier.threshold, score))
        return True

    def verdicts(self) -> list[Verdict]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        _close(self.verifier)


class ThreadedChecks:
    """Judges jobs on a worker thread behind a bounded queue (the live listener)."""

    def __init__(self, verifier: Verifier, size: int = QUEUE_SIZE):
        self.verifier = verifier
        self.dropped = 0
        self.cpu_seconds = _Costs()
        self._jobs: queue.Queue = queue.Queue(maxsize=size)
        self._done: deque[Verdict] = deque()
        self._thread = threading.Thread(target=self._work, name="verifier", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> bool:
        try:
            self._jobs.put_nowait(job)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def verdicts(self) -> list[Verdict]:
        out = []
        while self._done:
            out.append(self._done.popleft())
        return out

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                started = time.process_time()  # includes the listener's thread: an upper bound
                score = self.verifier.score(job.windows, job.phrase)
                self.cpu_seconds.add(job.ticket, time.process_time() - started)
                self._done.append(Verdict(job, score >= self.verifier.threshold, score))
            except Exception:  # a failed check must not kill the ear; say so without content
                log.exception("verification failed")
                self._done.append(Verdict(job, False, float("-inf")))  # the candidate is not left waiting
            finally:
                self._jobs.task_done()
        self._jobs.task_done()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():  # never free what a stuck check may still use
            _close(self.verifier)


def _close(verifier) -> None:
    """A decision with enrolled voices holds native models; a bare verifier holds nothing to free."""
    close = getattr(verifier, "close", None)
    if close is not None:
        close()


@dataclass
class _Pending:
    """A candidate waiting for its windows: the next one to judge, and its number."""

    candidate: Candidate
    ticket: int
    step: int = 0
    asked: bool = False  # a window is with the verifier: the next waits for its verdict


class TwoStageEngine:
    """First stages propose, a verifier confirms (see the module docs)."""

    def __init__(self, proposers: list[Proposer], checks: Checks, *,
                 window_ends: tuple[float, ...] = WINDOW_ENDS, window_seconds: float = WINDOW_SECONDS,
                 give_up: float | None = GIVE_UP_NATS):
        self.proposers = list(proposers)
        self.checks = checks
        self.name = f"two-stage ({' + '.join(p.name for p in self.proposers)} -> whisper)"
        self._ends = [int(e * RATE) for e in window_ends]
        self._window = int(window_seconds * RATE)
        self._give_up = give_up
        self._ring = np.zeros(int(RING_SECONDS * RATE), dtype=np.int16)
        self.candidates = 0  # proposed (after merging), for benchmarks
        self.reset()

    def feed(self, frame: np.ndarray) -> str | None:
        frame = np.asarray(frame, dtype=np.int16)
        self._remember(frame)
        for proposer in self.proposers:
            for c in proposer.feed(frame):
                self._propose(c)
        heard = self._heard()
        # Each candidate's windows are judged one by one, as the audio they need arrives, and
        # the next only once the last has been answered: the first window that passes fires,
        # and one that scores far below the threshold ends the candidate (most candidates
        # cost one window).
        while heard is None and self._pending and not self._pending[0].asked and self._due(self._pending[0]):
            waiting = self._pending[0]
            if self._judge(waiting):
                waiting.asked = True
            else:
                self._pending.popleft()
            heard = self._heard()
        return heard

    def _due(self, waiting: _Pending) -> bool:
        return self._consumed >= waiting.candidate.at + self._ends[waiting.step]

    def _remember(self, frame: np.ndarray) -> None:
        n = len(frame)
        self._ring = np.roll(self._ring, -n)
        self._ring[-n:] = frame
        self._consumed += n

    def _propose(self, c: Candidate) -> None:
        if c.at < self._quiet_until:
            return
        for waiting in self._pending:
            if waiting.candidate.phrase == c.phrase and abs(waiting.candidate.at - c.at) <= MERGE_SECONDS * RATE:
                return  # the same moment, proposed twice (or by two stages): judged once
        self.candidates += 1
        self._proposed_at.append(c.at / RATE)
        if len(self._pending) >= QUEUE_SIZE:  # the verifier is behind: drop the candidate, never a frame
            log.debug("verifier busy: a candidate was dropped")
            return
        self._pending.append(_Pending(c, self.candidates))

    def _judge(self, waiting: _Pending) -> bool:
        c = waiting.candidate
        oldest = self._consumed - len(self._ring)
        stop = c.at + self._ends[waiting.step] - oldest
        window = self._ring[max(stop - self._window, 0):stop].astype(np.float32) / 32768.0
        if not self.checks.submit(Job(c.phrase, c.at, [window], self._epoch, waiting.ticket)):
            log.debug("verifier busy: a candidate was dropped")
            return False
        return True

    def _heard(self) -> str | None:
        heard = None
        for verdict in self.checks.verdicts():
            job = verdict.job
            if job.epoch == self._epoch and not verdict.confirmed:
                self._next_window(job.ticket, verdict.score)
            if not verdict.confirmed or job.epoch != self._epoch or job.at < self._quiet_until:
                continue
            self._quiet_until = job.at + int(REFRACTORY_SECONDS * RATE)
            self._pending = deque(w for w in self._pending if w.candidate.at >= self._quiet_until)
            heard = heard or job.phrase
        return heard

    def _next_window(self, ticket: int, score: float) -> None:
        """A window was rejected: its candidate's next one may be judged, unless that was the
        last or the score was hopeless."""
        hopeless = self._give_up is not None and score < self.checks.verifier.threshold - self._give_up
        for waiting in list(self._pending):
            if waiting.ticket == ticket:
                waiting.asked = False
                waiting.step += 1
                hopeless = hopeless and waiting.step >= GIVE_UP_FROM
                if hopeless or waiting.step == len(self._ends):
                    self._pending.remove(waiting)

    def stats(self) -> dict:
        """Numbers for benchmarks: candidates proposed (and when, since the last reset), and the
        verifier's CPU seconds per candidate."""
        return {"candidates": self.candidates, "verifier_cpu": list(self.checks.cpu_seconds.values()),
                "proposed_at": list(self._proposed_at)}

    def reset(self) -> None:
        for proposer in self.proposers:
            proposer.reset()
        self._ring[:] = 0
        self._consumed = 0
        self._quiet_until = 0
        self._pending: deque[_Pending] = deque()
        self._proposed_at: list[float] = []  # seconds since reset of each candidate, for benchmarks
        self._epoch = getattr(self, "_epoch", 0) + 1

    def close(self) -> None:
        self.checks.close()
        for proposer in self.proposers:
            proposer.close()
