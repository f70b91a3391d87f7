"""Two-stage spotting on real Piper speech: PocketSphinx proposes, Whisper confirms.

The same spotter serves ``pi-pause detect`` (verification inline) and the live
listener (verification on a worker thread); these tests pin both.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pi_pause import config, wav
from pi_pause.ear import spotter
from pi_pause.ear.verifier import WhisperVerifier
from tests import speech


@pytest.fixture(scope="module")
def two_stage():
    with spotter.open_spotter(config.Settings(), engine="two-stage") as s:
        yield s


@pytest.fixture(scope="module")
def argument():
    """(audio, phrase end in s): the phrase between two lines of an argument."""
    before = speech.english("You always say that and nothing changes.")
    phrase = speech.english("Let's take a pause.")
    after = speech.english("I need a minute.")
    audio = speech.join(before, phrase, after)
    end = len(speech.silence(0.5)) + len(before) + len(speech.silence(0.35)) + len(phrase)
    return audio, end / speech.RATE


def test_the_phrase_is_heard_within_the_latency_target(two_stage, argument):
    audio, end = argument
    events = speech.spot(two_stage, audio)
    assert [e.phrase for e in events] == [speech.PHRASE]
    assert end <= events[0].time <= end + 0.6


def test_near_misses_do_not_start_a_pause(two_stage):
    lines = ["Let's take a bus.", "Let's take a walk.", "Pause the movie."]
    audio = speech.join(*[speech.english(t) for t in lines])
    assert speech.spot(two_stage, audio) == []


def in_babble(audio: np.ndarray, snr_db: float) -> np.ndarray:
    """``audio`` with four other people talking over it (Piper joe, looped, shifted)."""
    return speech.mix(audio, speech.babble(len(audio) / speech.RATE + 1.0), snr_db)


def test_the_phrase_is_heard_through_babble(two_stage, argument):
    audio, end = argument
    events = speech.spot(two_stage, in_babble(audio, 10.0))
    assert [e.phrase for e in events] == [speech.PHRASE]
    assert end - 0.1 <= events[0].time <= end + 0.6  # one 100 ms frame: the trimmed end is approximate


def test_near_misses_in_babble_do_not_start_a_pause(two_stage):
    lines = ["Let's take a bus.", "Let's take a walk.", "Pause the movie.", "Let's take a pie."]
    audio = speech.join(*[speech.english(t) for t in lines])
    assert speech.spot(two_stage, in_babble(audio, 10.0)) == []


def test_a_phrase_never_trained_is_heard_at_once():
    audio = speech.join(speech.english("You never listen to me."), speech.english("Time for a break."))
    with spotter.open_spotter(config.Settings(), phrases=("time for a break",), engine="two-stage") as s:
        assert [e.phrase for e in speech.spot(s, audio)] == ["time for a break"]


class GatedVerifier:
    """The real verifier, held at a gate so the test can watch the listener meanwhile."""

    def __init__(self, real: WhisperVerifier):
        self.real, self.threshold = real, real.threshold
        self.entered, self.gate = threading.Event(), threading.Event()
        self.thread = None

    def score(self, windows, phrase):
        self.thread = threading.current_thread()
        self.entered.set()
        self.gate.wait(timeout=30)
        return self.real.score(windows, phrase)


def test_verification_runs_off_the_audio_thread_while_frames_keep_flowing(argument):
    from pi_pause.ear.sphinx_proposer import SphinxProposer
    from pi_pause.ear.two_stage import ThreadedChecks, TwoStageEngine

    gated = GatedVerifier(WhisperVerifier.load())
    engine = TwoStageEngine([SphinxProposer((speech.PHRASE,))], ThreadedChecks(gated))
    s = spotter.PhraseSpotter(engine)
    audio, end = argument
    frames = list(wav.frames(wav.to_int16(audio), 1600))
    heard = []
    try:
        for frame in frames:
            heard += [e for e in [s.feed(frame)] if e]
        assert gated.entered.wait(timeout=10), "no candidate reached the verifier"
        assert gated.thread is not threading.current_thread()
        # The verifier is stuck; three more seconds of audio are still taken at once.
        for _ in range(30):
            heard += [e for e in [s.feed(np.zeros(1600, np.int16))] if e]
        assert heard == []
        gated.gate.set()
        for _ in range(200):
            event = s.feed(np.zeros(1600, np.int16))
            if event is not None:
                heard.append(event)
                break
            threading.Event().wait(0.05)
        assert [e.phrase for e in heard] == [speech.PHRASE]
        assert heard[0].time > end  # known only once the worker answered
    finally:
        gated.gate.set()
        s.close()


def test_a_busy_verifier_drops_candidates_instead_of_holding_up_the_listener():
    import time

    from pi_pause.ear.two_stage import QUEUE_SIZE, Job, ThreadedChecks

    gated = GatedVerifier(WhisperVerifier.load())
    checks = ThreadedChecks(gated)
    try:
        window = [np.zeros(speech.RATE, np.float32)]
        assert checks.submit(Job(speech.PHRASE, 0, window, 1, 1))
        assert gated.entered.wait(timeout=10)  # the worker is now stuck on the first job
        started = time.monotonic()
        accepted = [checks.submit(Job(speech.PHRASE, k, window, 1, k)) for k in range(2, 2 + QUEUE_SIZE + 3)]
        assert time.monotonic() - started < 0.5  # submit never waits for the worker
        assert accepted == [True] * QUEUE_SIZE + [False] * 3
        assert checks.dropped == 3
    finally:
        gated.gate.set()
        checks.close()


class Recording:
    """The real verifier, noting the score of every window it judges."""

    def __init__(self, real: WhisperVerifier):
        self.real, self.threshold, self.scores = real, real.threshold, []

    def score(self, windows, phrase):
        self.scores.append(self.real.score(windows, phrase))
        return self.scores[-1]


def test_a_hopeless_window_ends_its_candidate_and_a_doubtful_one_does_not():
    from pi_pause.ear.sphinx_proposer import SphinxProposer
    from pi_pause.ear.two_stage import GIVE_UP_FROM, GIVE_UP_NATS, WINDOW_ENDS, InlineChecks, TwoStageEngine

    judge = Recording(WhisperVerifier.load())
    checks = InlineChecks(judge)
    engine = TwoStageEngine([SphinxProposer((speech.PHRASE,))], checks)
    lines = ["Let's take a bus.", "Pause the movie.", "I will take a pass.", "Let's talk later."]
    spotted = speech.spot(spotter.PhraseSpotter(engine), speech.join(*[speech.english(t) for t in lines]))
    assert spotted == []
    assert engine.candidates >= 2 and len(checks.cpu_seconds) == engine.candidates
    hopeless = judge.threshold - GIVE_UP_NATS
    # Replay the scores in the order they were given: a candidate ends at its first hopeless
    # window from the GIVE_UP_FROM-th on, or after its last window, never earlier.
    k, judged = 0, []
    while k < len(judge.scores):
        n = 1
        while ((n < GIVE_UP_FROM or judge.scores[k + n - 1] >= hopeless)
               and n < len(WINDOW_ENDS) and k + n < len(judge.scores)):
            n += 1
        judged.append(n)
        k += n
    assert len(judged) == engine.candidates
    assert any(n == GIVE_UP_FROM for n in judged)  # near-misses usually cost two windows
    assert len(judge.scores) < len(WINDOW_ENDS) * engine.candidates
