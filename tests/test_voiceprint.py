"""The enrolled voice's classifier (pi_pause.ear.voiceprint), trained on real Piper takes.

"A person" here is Piper joe shifted a few semitones down, at several speeds: a voice
the classifier has never been given except through the takes.
"""

from __future__ import annotations

import numpy as np
import pytest

from pi_pause import wav
from pi_pause.ear import voiceprint
from tests import speech

RATE = 16_000
WINDOW = 2.3  # seconds, as the two-stage engine cuts a candidate's window


def person(text: str, length_scale: float = 1.0) -> np.ndarray:
    """``text`` in the enrolled person's voice: joe, lower (resampled by 0.85)."""
    return wav.resample(speech.english(text, length_scale), RATE, int(RATE / 0.85))


def window(core: np.ndarray, noise: np.ndarray | None = None, snr: float = 5.0) -> np.ndarray:
    """A candidate's window: ``core`` ends 0.3 s before the window does."""
    audio = np.concatenate([speech.silence(WINDOW), core, speech.silence(0.3)])[-int(WINDOW * RATE):]
    return audio if noise is None else speech.mix(audio, noise[:len(audio)], snr)


@pytest.fixture(scope="module")
def enrolled(enrollment_cache):
    takes = [person(speech.PHRASE, s) for s in (0.9, 1.0, 1.1, 1.2)]
    numbers = voiceprint.adapt(takes, speech.PHRASE, cache=enrollment_cache)
    opinion = voiceprint.EnrolledOpinion([numbers])
    yield numbers, opinion
    opinion.close()


def test_only_numbers_are_kept(enrolled):
    numbers, _ = enrolled
    assert int(numbers["format"]) == voiceprint.FORMAT
    for name, value in numbers.items():
        assert value.dtype.kind == "f" or name == "format", name
        assert max(value.shape, default=0) < RATE // 4, f"{name} is as long as audio"


def test_hears_a_new_take_in_babble_above_a_near_miss_in_the_same_voice(enrolled):
    _, opinion = enrolled
    babble = speech.babble(3.0, seed=11)
    p = {text: opinion.probability(window(person(text, 1.05), babble))
         for text in (speech.PHRASE, "let's take a bus", "I never said that to your mother")}
    assert p[speech.PHRASE] > 0.5
    # Here "let's take a" is the takes' very audio; only the last word tells them apart.
    assert p["let's take a bus"] < p[speech.PHRASE] / 2
    assert p["I never said that to your mother"] < p[speech.PHRASE] / 2


def test_abstains_on_what_is_surely_not_an_enrolled_voice_saying_the_phrase(enrolled):
    _, opinion = enrolled
    assert opinion.score([window(speech.silence(1.5))], speech.PHRASE) is None


def test_a_near_miss_in_the_enrolled_voice_still_fails_the_decision(enrolled):
    from pi_pause.ear import decision, verifier

    _, opinion = enrolled
    tiny = verifier.WhisperVerifier.load(pad_seconds=decision.TINY_PAD_SECONDS)
    judge = decision.CascadeDecision(tiny, opinions=(opinion,))
    babble = speech.babble(3.0, seed=11)
    for text in ("let's take a bus", "let's take a break"):
        for noise in (None, babble):
            assert judge.score([window(person(text), noise, 10.0)], speech.PHRASE) < judge.threshold, text
    assert judge.score([window(person(speech.PHRASE))], speech.PHRASE) >= judge.threshold


def test_nobody_enrolled_abstains():
    opinion = voiceprint.EnrolledOpinion([])
    try:
        assert opinion.score([np.zeros(int(WINDOW * RATE), np.float32)], speech.PHRASE) is None
    finally:
        opinion.close()


class Counting:
    """A real judge that counts how often it is asked, with the threshold the test sets."""

    def __init__(self, real, threshold: float):
        self.real, self.threshold, self.asked = real, threshold, 0

    def score(self, windows, phrase):
        self.asked += 1
        return self.real.score(windows, phrase)


def test_an_enrolled_voice_is_judged_by_its_opinion_and_anyone_else_by_base(enrolled, enrollment_cache):
    from pi_pause.ear import decision, verifier, whisper_base

    _, opinion = enrolled
    tiny = verifier.WhisperVerifier.load(pad_seconds=decision.TINY_PAD_SECONDS)
    base = Counting(verifier.WhisperVerifier(whisper_base.install(enrollment_cache), files=whisper_base.JOINED_FILES,
                                             prompt=whisper_base.PROMPT, fix=whisper_base.REINSTALL), tiny.threshold)
    theirs = [window(person(speech.PHRASE, 1.05), speech.babble(3.0, seed=11), 10.0)]
    stranger = [window(speech.english("I never said that to your mother"))]
    for said, asks_base in ((theirs, False), (stranger, True)):
        sure = tiny.score(said, speech.PHRASE)
        judge = decision.CascadeDecision(Counting(tiny, sure + 1.0), base, opinions=(opinion,))  # tiny.en unsure
        base.asked = 0
        fused = judge.score(said, speech.PHRASE)
        assert base.asked == int(asks_base)
        if not asks_base:
            mine = opinion.score(said, speech.PHRASE)
            assert fused == pytest.approx((1 - opinion.weight) * sure + opinion.weight * mine)
