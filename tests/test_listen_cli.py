"""`pi-pause detect` and `pi-pause listen`, run as a user would."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pi_pause import wav
from tests import speech
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def argument_wav(tmp_path_factory):
    """A 44.1 kHz stereo recording: a near miss, the phrase, another sentence; and its phrase end."""
    before = speech.english("Fine, let's take a bus then!")
    phrase = speech.english("Let's take a pause.")
    after = speech.english("I will make us some tea.")
    audio = speech.join(before, phrase, after)
    end = 0.5 + (len(before) + len(phrase)) / speech.RATE + 0.35
    loud = wav.resample(audio, speech.RATE, 44_100)
    path = tmp_path_factory.mktemp("detect") / "argument.wav"
    stereo = np.stack([loud, loud * 0.5], axis=1)
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44_100)
        out.writeframes(wav.to_int16(stereo).tobytes())
    return path, end


def test_detect_prints_one_json_line_per_detection(cli, argument_wav):
    path, end = argument_wav
    result = cli("detect", str(path), "--phrase", "let's take a pause", "--json",
                 "--engine", "pocketsphinx")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["event"] == "detected" and lines[0]["phrase"] == "let's take a pause"
    assert end - 0.3 <= lines[0]["time"] <= end + 0.6


def test_detect_never_logs_what_was_said_even_in_debug(cli, argument_wav):
    path, _ = argument_wav
    result = cli("--verbose", "detect", str(path))
    assert result.returncode == 0, result.stderr
    assert "phrase detected" in result.stderr
    # Folder names may hold these letters (a checkout in "wt-robust" has "bus"): not what was said.
    said = (result.stderr + result.stdout).replace(str(ROOT), "").replace(str(path), "").lower()
    for word in ("bus", "tea", "make", "fine"):  # words that were said but are not the phrase
        assert word not in said


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", ["not-a-wav", "truncated", "empty", "missing"])
def test_detect_refuses_a_bad_file_in_one_line(cli, tmp_path, kind):
    path = tmp_path / f"{kind}.wav"
    if kind == "not-a-wav":
        _write(path, b"ID3\x03\x00 this is an mp3, honest" * 20)
    elif kind == "truncated":
        good = tmp_path / "good.wav"
        wav.write(good, np.zeros(16000, dtype=np.int16))
        _write(path, good.read_bytes()[:30])
    elif kind == "empty":
        _write(path, b"")
    result = cli("detect", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr


def test_detect_refuses_an_unknown_phrase_word_in_one_line(cli, argument_wav):
    path, _ = argument_wav
    result = cli("detect", str(path), "--phrase", "let's take a pauze", "--engine", "pocketsphinx")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("pi-pause: phrase word 'pauze'")
    assert "try 'pause'" in result.stderr and "Traceback" not in result.stderr


def test_listen_without_a_microphone_says_so_in_one_line(cli):
    # The build machines have no sound card at all: this is the real "no microphone" path.
    result = cli("listen", timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("pi-pause: no microphone available")
    assert "pi-pause detect FILE.wav" in lines[0]


def test_listen_names_a_configured_microphone_that_is_missing(cli, tmp_path):
    conf = tmp_path / "config.toml"
    conf.write_text('[listen]\ninput_device = "USB mic that was unplugged"\n')
    result = cli("--config", str(conf), "listen", timeout=60)
    assert result.returncode == 2
    assert "no microphone 'USB mic that was unplugged' available" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
