"""Where the sound goes: the speaker, a WAV file, or memory.

Every player has one method, ``play(samples, rate, cancel)``: it blocks until
the clip has played or ``cancel`` is set, and then stops within 50 ms (audio is
written in blocks of 20 ms and cancel is checked between them)::

    player = SpeakerPlayer()                   # the default output device
    player.play(clip.samples, clip.rate, threading.Event())

:class:`WavSink` and :class:`MemorySink` stand in for the speaker in tests and
in ``pi-pause preview``. Given a clock, they place each clip at the clock's
time (so the silences between clips are exact) and move a fake clock on by the
clip's length, as if it had played.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from pi_pause import config

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.02


class Player(Protocol):
    def play(self, samples: np.ndarray, rate: int, cancel: threading.Event) -> None:
        """Play int16 mono ``samples``; return when done or within 50 ms of ``cancel``."""


class SpeakerPlayer:
    """The sound card, through sounddevice (PortAudio).

    An output device that is missing or busy is reported once and tried again on
    the next clip; it never raises, so the service carries on (the light still
    guides). :attr:`failing` says whether the last attempt failed.
    """

    def __init__(self, device: str = ""):
        self.device = config.sound_device(device)
        self.failing = False
        self.last_error = ""

    def problem(self, rate: int) -> str | None:
        """Why the device cannot play mono 16-bit audio at ``rate`` Hz, or None if it can."""
        import sounddevice as sd

        try:
            sd.check_output_settings(device=self.device, samplerate=rate, channels=1,
                                     dtype="int16")
        except (sd.PortAudioError, ValueError) as exc:
            return " ".join(str(exc).split())
        return None

    def play(self, samples: np.ndarray, rate: int, cancel: threading.Event) -> None:
        import sounddevice as sd

        block = max(1, int(rate * BLOCK_SECONDS))
        try:
            with sd.OutputStream(samplerate=rate, channels=1, dtype="int16", blocksize=block,
                                 device=self.device, latency="low") as stream:
                if self.failing:
                    log.info("audio output is working again")
                self.failing = False
                for start in range(0, len(samples), block):
                    if cancel.is_set():
                        stream.abort()  # drop what is queued: silence now, not after the buffer
                        return
                    stream.write(np.ascontiguousarray(samples[start:start + block]))
        except (sd.PortAudioError, OSError, ValueError) as exc:
            self.last_error = " ".join(str(exc).split())
            if not self.failing:
                log.warning("audio output unavailable (%s); will try again on the next clip",
                            self.last_error)
            self.failing = True


class MemorySink:
    """Keeps what was played, for tests.

    ``clock``: place clips at the clock's time and advance a fake clock.
    ``realtime``: take as long as the audio would (cancellable), like a speaker; on
    ``clock`` when given (``clock.wait(seconds, cancel)``), else on the real clock.
    :attr:`plays` lists (clock time, number of samples played, rate).
    """

    def __init__(self, clock=None, realtime: bool = False):
        self.clock = clock
        self.realtime = realtime
        self.plays: list[tuple[float, int, int]] = []
        self.first_sample_at: float | None = None  # perf_counter() of the first sample
        self._chunks: list[tuple[int, np.ndarray]] = []  # (start sample, samples)
        self.rate: int | None = None
        self._origin = clock.now() if clock is not None else 0.0
        self._cursor = 0

    def play(self, samples: np.ndarray, rate: int, cancel: threading.Event) -> None:
        if self.rate is None:
            self.rate = rate
        if rate != self.rate:
            from pi_pause import wav

            samples = wav.to_int16(wav.resample(samples.astype(np.float32) / 32768, rate, self.rate))
        at = self.clock.now() if self.clock is not None else None
        start = round((at - self._origin) * self.rate) if at is not None else self._cursor
        played = self._consume(samples, cancel)
        if played:
            self._chunks.append((start, samples[:played].copy()))
        self._cursor = max(self._cursor, start + played)
        self.plays.append((at if at is not None else start / self.rate, played, rate))
        if self.clock is not None and hasattr(self.clock, "advance") and not self.realtime:
            self.clock.advance(played / self.rate)

    def _consume(self, samples: np.ndarray, cancel: threading.Event) -> int:
        if cancel.is_set():
            return 0
        if self.first_sample_at is None and len(samples):
            self.first_sample_at = time.perf_counter()
        if not self.realtime:
            return len(samples)
        block = max(1, int(self.rate * BLOCK_SECONDS))
        # On the clock when there is one (a test's fake clock makes this exact), else real time.
        wait = self.clock.wait if self.clock is not None else (lambda seconds, stop: stop.wait(seconds))
        for done in range(0, len(samples), block):
            if wait(min(block, len(samples) - done) / self.rate, cancel):
                return done
        return len(samples)

    def audio(self, until: float | None = None) -> np.ndarray:
        """Everything played, silences included, as one int16 array."""
        rate = self.rate or 22050
        length = max([s + len(c) for s, c in self._chunks] + [0])
        if until is not None:
            length = max(length, round((until - self._origin) * rate))
        out = np.zeros(length, dtype=np.int32)
        for start, chunk in self._chunks:
            out[start:start + len(chunk)] += chunk
        return np.clip(out, -32768, 32767).astype(np.int16)


class WavSink(MemorySink):
    """Like :class:`MemorySink`, then written to ``path`` as a WAV by :meth:`close`."""

    def __init__(self, path: str | Path, clock=None):
        super().__init__(clock=clock)
        self.path = Path(path)

    def close(self) -> float:
        """Write the file (up to the clock's time); returns its length in seconds."""
        from pi_pause import wav

        until = self.clock.now() if self.clock is not None else None
        samples = self.audio(until)
        wav.write(self.path, samples, self.rate or 22050)
        return len(samples) / (self.rate or 22050)
