"""Recordings at the edges: a phrase that ends the file, an hour-long file, a pipe.

``pi-pause detect`` and ``pi-pause run --input`` stream the file (bounded memory)
and, at its end, let the spotter hear the end of the last words.
"""

from __future__ import annotations

import os
import tracemalloc
import wave

import numpy as np
import pytest

from pi_pause import wav
from pi_pause.echo import EchoGuard
from pi_pause.ear.listener import Listener
from pi_pause.ear.spotter import open_spotter
from pi_pause import config
from pi_pause.service.simulation import WavInput
from pi_pause.wav_stream import WavStream
from tests import speech


@pytest.fixture(scope="module")
def phrase_at_the_end(tmp_path_factory):
    """What `pi-pause say "okay, let's take a pause" --out p.wav` makes: no silence after."""
    audio = speech.trim(speech.english("Okay, let's take a pause."))
    path = tmp_path_factory.mktemp("end") / "p.wav"
    wav.write(path, np.concatenate([speech.silence(0.3), audio]))
    return path, len(audio) / speech.RATE


def test_detect_hears_a_phrase_that_ends_the_recording(cli, phrase_at_the_end):
    path, _ = phrase_at_the_end
    result = cli("detect", str(path), "--engine", "pocketsphinx", "--json")
    assert result.returncode == 0, result.stderr
    assert '"phrase": "let\'s take a pause"' in result.stdout


def test_run_input_hears_a_phrase_that_ends_the_recording(phrase_at_the_end):
    path, _ = phrase_at_the_end
    heard = []
    with open_spotter(config.Settings(), engine="pocketsphinx") as spotter:
        listener = Listener(lambda: WavInput(path, frame_ms=100), spotter,
                            EchoGuard(tail_seconds=0), heard.append, "recording")
        listener.start()
        assert listener.finished.wait(30)
    assert [h.phrase for h in heard] == ["let's take a pause"]


def test_a_long_recording_is_read_in_bounded_memory(tmp_path):
    """Thirty minutes at 48 kHz stereo (330 MB): the stream holds about a second of it."""
    path = tmp_path / "long.wav"
    second = (np.sin(np.arange(48_000) / 10.0) * 8000).astype("<i2")
    block = np.repeat(second, 2).tobytes()  # one second of stereo
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        for _ in range(30 * 60):
            out.writeframes(block)
    tracemalloc.start()
    try:
        with WavStream(path) as stream:
            count = sum(1 for _ in stream.frames(1600))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        path.unlink()
    assert stream.seconds == pytest.approx(30 * 60, abs=0.05)
    assert count == pytest.approx(30 * 60 * 10, abs=2)
    assert peak < 8 * 1024 * 1024  # not the 330 MB file, nor the 115 MB of float samples


def test_a_pipe_is_refused_at_once_instead_of_blocking(cli, tmp_path):
    fifo = tmp_path / "audio.wav"
    os.mkfifo(fifo)
    result = cli("detect", str(fifo), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pi-pause: {fifo}: not a regular file (a pipe or a device); give a WAV file, "
        "e.g. save the recording first"]


def test_streamed_and_whole_reads_give_the_same_audio(tmp_path):
    audio = speech.english("Let's take a pause.")
    loud = wav.resample(audio, speech.RATE, 44_100)
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44_100)
        out.writeframes(wav.to_int16(loud).tobytes())
    whole = wav.read(path)
    with WavStream(path) as stream:
        streamed = np.concatenate(list(stream.frames(1600)))
    assert abs(len(streamed) - len(whole)) <= 16
    n = min(len(streamed), len(whole))
    assert np.corrcoef(streamed[:n].astype(float), whole[:n].astype(float))[0, 1] > 0.99
