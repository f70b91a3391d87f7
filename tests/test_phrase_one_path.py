"""One answer to "will this phrase be heard?": the check runs the code that listens.

``spotter.check`` (doctor, ``phrase check``, the settings page) and ``spotter.open_spotter``
(the service, ``detect``) share ``spotter.prepare`` and the builders, so a check can never
pass what listening then refuses. Real PocketSphinx, real Whisper tokenizer and weights.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from pi_pause import config, phrase_text
from pi_pause.ear import decision, spotter, verifier
from tests import speech

# A settings file with no Vosk model, so "auto" is the two-stage spotter (as on a fresh Pi).
SETTINGS = dataclasses.replace(config.Settings(), listen=dataclasses.replace(
    config.Settings().listen, vosk_model="/nonexistent/vosk-model"))
# Words people type, as they type them: case, punctuation, apostrophes, repeats, and a
# few that cannot be heard (not English, not a word, a digit, a sign).
TYPED_WORDS = ["pause", "Pause!", "the", "let's", "Let’s", "take", "a", "break.", "time", "out,",
               "please?", "\"now\"", "time-out", "xyzzy", "plugh", "5", "&", "잠깐", "café", "—", "PAUSE"]


@pytest.fixture(scope="module", autouse=True)
def whisper_loaded_once(tmp_path_factory):
    """The real decision (Whisper tiny.en, and base where its packages are intact), loaded
    once for the module: its load does not depend on the phrase, its token ids do."""
    judge = decision.open_decision(0.5, tmp_path_factory.mktemp("cache"))
    with pytest.MonkeyPatch.context() as mp:
        def open_decision(sensitivity, cache, opinions=()):
            judge.threshold = judge.first.threshold = verifier.threshold_for(sensitivity)
            return judge
        mp.setattr(decision, "open_decision", open_decision)
        yield


def opens(phrases: tuple[str, ...], engine: str | None = None) -> bool:
    """Whether listening starts; any refusal must be a one-line PhraseError."""
    try:
        spotter.open_spotter(SETTINGS, phrases, engine).close()
    except spotter.PhraseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return False
    return True


phrases = st.one_of(st.lists(st.sampled_from(TYPED_WORDS), min_size=1, max_size=8).map(" ".join),
                    st.text(max_size=12))


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(phrases, min_size=1, max_size=2))
@example(["pause the pause"])
@example(["let's take a pause", "pause now"])  # a word shared by two phrases
@example(["Time For A Break!"])
@example(["pause " * 200])
def test_check_says_ok_exactly_when_listening_starts(typed):
    verdict = spotter.check(SETTINGS, tuple(typed))
    assert verdict.ok == opens(tuple(typed))
    if verdict.ok:
        assert verdict.listening.engine == "two-stage"
        assert all(p == phrase_text.normalise(p) for p in verdict.listening.phrases)
    else:
        assert verdict.problem and "\n" not in verdict.problem
        assert verdict.plain.startswith(("It cannot", "That is too long", "Write the words"))


def test_a_phrase_with_a_repeated_word_is_heard_after_passing_the_check():
    # "pause the pause" passed the check, then crashed detect and run (PocketSphinx was
    # given the word's pronunciation variants twice).
    assert spotter.check(SETTINGS, ("pause the pause",)).ok
    with spotter.open_spotter(SETTINGS, ("Pause the pause!",)) as heard_by:
        events = speech.spot(heard_by, speech.join(speech.english("I need a moment."),
                                                   speech.english("Pause the pause.")))
    assert [e.phrase for e in events] == ["pause the pause"]


def test_a_repeated_word_is_listened_for_by_pocketsphinx_alone_too():
    assert opens(("pause the pause",), "pocketsphinx")  # its own keyword set and grammar


def test_typed_case_and_punctuation_are_what_the_ear_listens_for():
    verdict = spotter.check(SETTINGS, ("Let’s Take A Break!", "time-out, please", "let's take a break"))
    assert verdict.ok and verdict.listening.phrases == ("let's take a break", "time out please")


def test_what_cannot_be_said_is_refused_naming_the_character():
    verdict = spotter.check(SETTINGS, ("take 5",))
    assert not verdict.ok and "'5'" in verdict.problem and "write numbers as words" in verdict.problem
    assert verdict.plain == "It cannot hear '5': write numbers as words."
    assert spotter.check(SETTINGS, ("xyzzy plugh",)).plain == "It cannot hear 'xyzzy': pick everyday words."


def test_a_phrase_longer_than_six_words_is_refused_with_the_limit():
    verdict = spotter.check(SETTINGS, ("let's take a pause and breathe together now",))
    assert not verdict.ok
    assert "has 8 words" in verdict.problem and "at most 6 words" in verdict.problem
    assert spotter.check(SETTINGS, ("can we take a little break",)).ok  # six words


def test_a_phrase_with_no_trained_model_needs_none_and_says_so_as_information():
    verdict = spotter.check(SETTINGS, ("time for a break",))
    assert verdict.ok and verdict.listening.warnings == ()
    assert verdict.listening.notes == ("no trained model for 'time for a break', and none is needed; "
                                       "`pi-pause phrase train` can add one as an extra first stage",)
