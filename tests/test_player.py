"""Players: the WAV/memory sinks place audio exactly; the speaker never crashes the caller."""

import logging
import threading

import numpy as np
import pytest

from pi_pause import wav
from pi_pause.voice.chime import chime
from pi_pause.voice.session_clock import FakeClock
from pi_pause.voice.player import BLOCK_SECONDS, MemorySink, SpeakerPlayer, WavSink

RATE = 16000


def tone(seconds, level=8000):
    return np.full(int(seconds * RATE), level, dtype=np.int16)


def test_wav_sink_places_each_clip_at_its_clock_time(tmp_path):
    clock = FakeClock()
    sink = WavSink(tmp_path / "out.wav", clock=clock)
    sink.play(tone(0.5), RATE, threading.Event())
    assert clock.now() == 0.5  # "playing" moves the fake clock on
    clock.advance(1.0)
    sink.play(tone(0.25, -8000), RATE, threading.Event())
    clock.advance(0.75)
    assert sink.close() == 2.5
    samples = wav.read(tmp_path / "out.wav")
    assert len(samples) == int(2.5 * RATE)
    assert np.all(samples[: int(0.5 * RATE)] > 0)
    assert not np.any(samples[int(0.5 * RATE): int(1.5 * RATE)])
    assert np.all(samples[int(1.5 * RATE): int(1.75 * RATE)] < 0)
    assert not np.any(samples[int(1.75 * RATE):])


def test_memory_sink_in_real_time_stops_within_50_ms_of_cancel():
    """On a clock that sets ``cancel`` 0.3 s into the sound (the seam a session uses), so
    the answer is exact: no machine load can make it flaky."""
    cancel = threading.Event()

    class CancelAt(FakeClock):
        def wait(self, seconds, stop):
            if stop.is_set():
                return True
            if self.now() + seconds >= 0.3:  # the press lands inside this wait
                self.advance(0.3 - self.now())
                stop.set()
                return True
            return super().wait(seconds, stop)

    clock = CancelAt()
    sink = MemorySink(clock=clock, realtime=True)
    sink.play(tone(3.0), RATE, cancel)
    assert clock.now() == pytest.approx(0.3)  # it returned in the wait the cancel woke
    played = sink.plays[0][1] / RATE
    assert 0.3 - BLOCK_SECONDS <= played <= 0.3  # counted in whole 20 ms blocks
    assert cancel.is_set()


def test_missing_speaker_is_reported_once_and_never_raises(caplog):
    player = SpeakerPlayer("no-such-speaker")
    with caplog.at_level(logging.WARNING, logger="pi_pause.voice.player"):
        for _ in range(3):
            player.play(tone(0.1), RATE, threading.Event())
    assert player.failing
    warnings = [r for r in caplog.records if "audio output unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_chime_is_soft_smooth_and_fades_to_silence():
    samples = chime(22050)
    assert 3.0 < len(samples) / 22050 < 4.0
    peak = np.abs(samples).max() / 32767
    assert 0.2 < peak < 0.5  # well below full scale
    assert abs(int(samples[0])) < 200 and samples[-1] == 0  # no click at either end
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    loudest = np.argmax(spectrum) * 22050 / len(samples)
    assert 500 < loudest < 560  # the fundamental, C5
