import struct
import wave

import numpy as np
import pytest

from pi_pause import wav
from pi_pause.wav import WavError


def _tone(rate, seconds=0.5, freq=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


def _write_pcm(path, samples, rate, channels=1, width=2):
    data = np.repeat(samples[:, None], channels, axis=1).reshape(-1)
    ints = (data * (2 ** (8 * width - 1) - 1)).astype("<i4")
    if width == 2:
        raw = ints.astype("<i2").tobytes()
    else:  # 24-bit little-endian
        raw = b"".join(struct.pack("<i", v)[:3] for v in ints)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)


@pytest.mark.parametrize("rate, channels, width", [(16000, 1, 2), (44100, 2, 2), (48000, 1, 3), (8000, 2, 2)])
def test_any_pcm_wav_becomes_16k_mono(tmp_path, rate, channels, width):
    path = tmp_path / "in.wav"
    _write_pcm(path, _tone(rate), rate, channels, width)
    samples = wav.read(path)
    assert samples.dtype == np.int16
    assert abs(len(samples) - 8000) <= 2
    # the 440 Hz tone survives conversion: its peak is near 0.5 full scale
    assert 0.45 < np.abs(samples[1000:7000]).max() / 32767 < 0.55


def test_float_wav_is_read(tmp_path):
    samples = _tone(22050).astype("<f4")
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + samples.nbytes, b"WAVE", b"fmt ", 16,
                         3, 1, 22050, 22050 * 4, 4, 32, b"data", samples.nbytes)
    path = tmp_path / "float.wav"
    path.write_bytes(header + samples.tobytes())
    assert abs(len(wav.read(path)) - 8000) <= 2


@pytest.mark.parametrize("content, expected", [
    (b"", "not a WAV file"),
    (b"ID3\x03this is an mp3", "not a WAV file"),
    (b"RIFF\x00\x00\x00\x00WAVE", "no format chunk"),
])
def test_unusable_files_get_a_clear_error(tmp_path, content, expected):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(WavError, match=expected):
        wav.read(path)


def test_truncated_wav_keeps_the_audio_it_has(tmp_path):
    path = tmp_path / "cut.wav"
    _write_pcm(path, _tone(16000, seconds=1.0), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert 7000 < len(wav.read(path)) < 8100


def test_header_only_wav_says_it_holds_no_audio(tmp_path):
    path = tmp_path / "empty.wav"
    _write_pcm(path, np.zeros(0), 16000)
    with pytest.raises(WavError, match="holds no audio"):
        wav.read(path)


def test_missing_file(tmp_path):
    with pytest.raises(WavError, match="no such file"):
        wav.read(tmp_path / "nope.wav")


def test_write_then_read_round_trips(tmp_path):
    samples = (_tone(16000) * 32767).astype(np.int16)
    wav.write(tmp_path / "x.wav", samples)
    assert np.array_equal(wav.read(tmp_path / "x.wav"), samples)
