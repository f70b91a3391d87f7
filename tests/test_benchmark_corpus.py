"""The benchmark corpus and its scoring: the pieces a wrong figure would come from."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import corpus, mixing, scoring, sentences


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> np.ndarray:
    """One argument line spoken by Piper joe, with a second of silence in the middle."""
    synth = corpus.Synth(tmp_path_factory.mktemp("synth-cache"))
    voice = corpus.Voice("plain-joe", "piper")  # no pitch/tempo shift: sox is not needed here
    first = synth.say("You said you would be home by seven.", voice)
    second = synth.say("Why didn't you call?", voice)
    return np.concatenate([first, np.zeros(corpus.RATE, np.float32), second])


@pytest.mark.parametrize("snr", [10.0, 5.0])
def test_babble_mixed_at_an_snr_has_that_snr_within_a_tenth_of_a_db(speech, snr):
    rng = np.random.default_rng(7)
    active = np.abs(speech) > 0
    noise = mixing.babble(rng, [speech[::-1].copy(), speech * 0.5], len(speech), talkers=4)
    scaled = mixing.scale_to_snr(speech, noise, snr, active)
    assert mixing.snr_db(speech, scaled, active) == pytest.approx(snr, abs=0.1)
    # the silence between utterances does not count on the speech side
    assert mixing.snr_db(speech, scaled) < snr - 0.5


def test_tv_noise_at_5_db_is_louder_than_at_10_db(speech):
    noise = mixing.tv(np.random.default_rng(3), [speech], len(speech))
    at5 = mixing.scale_to_snr(speech, noise, 5.0)
    at10 = mixing.scale_to_snr(speech, noise, 10.0)
    assert 10 * np.log10(mixing.power(at5) / mixing.power(at10)) == pytest.approx(5.0, abs=0.1)


def test_room_reverb_keeps_length_and_spreads_energy_after_the_speech(speech):
    ir = mixing.room_impulse(np.random.default_rng(1), rt60=0.4, direct_to_reverb_db=0.0)
    wet = mixing.convolve(speech, ir)
    assert len(wet) == len(speech)
    silent = np.convolve(speech == 0, np.ones(800), "valid") == 800
    gap = int(np.flatnonzero(silent)[0])  # the silence just after the first line
    tail = slice(gap, gap + corpus.RATE // 10)
    assert mixing.power(wet[tail]) > 100 * (mixing.power(speech[tail]) + 1e-12)


def test_detection_inside_the_window_is_a_hit_with_latency_from_phrase_end():
    score = scoring.score_file([(2.0, 3.0)], [3.2])
    assert score.hits == 1 and score.latencies == [pytest.approx(0.2)]
    assert score.false_times == []


def test_detection_after_the_grace_period_or_before_the_phrase_is_false():
    score = scoring.score_file([(2.0, 3.0)], [1.9, 4.6])
    assert score.hits == 0
    assert score.false_times == [1.9, 4.6]


def test_second_detection_of_the_same_phrase_is_a_repeat_not_a_false_trigger():
    score = scoring.score_file([(2.0, 3.0)], [3.1, 3.9])
    assert (score.hits, score.repeats, score.false_times) == (1, 1, [])


def test_false_triggers_per_hour_count_only_audio_without_the_phrase():
    tally = scoring.Tally()
    tally.add(scoring.score_file([(10.0, 1810.0)], [5.0]), duration=3600.0 + 1800.0,
              phrases=[(10.0, 1810.0)])
    assert tally.false_per_hour == pytest.approx(1.0)
    assert tally.recall == 0.0


def test_splits_share_no_sentence_and_no_voice_setting():
    tune, test = sentences.pools("tune"), sentences.pools("test")
    for pool in tune:
        assert not set(tune[pool]) & set(test[pool]), pool
    def settings(voice):
        return {k: x for k, x in voice.__dict__.items() if k != "id"}

    tune_voices = [settings(v) for v in corpus.VOICES["tune"]]
    assert not [v.id for v in corpus.VOICES["test"] if settings(v) in tune_voices]


def test_corpus_plan_is_deterministic_and_negatives_never_say_the_phrase():
    first = corpus.plan("tune", positives=12, negative_minutes=2)
    again = corpus.plan("tune", positives=12, negative_minutes=2)
    assert first == again
    positives = [s for s in first if s.kind == "positive"]
    assert len(positives) == 12
    assert all(sum(p.phrase for p in s.pieces) == 1 for s in positives)
    said = [p.text for s in first for p in s.pieces if not p.phrase]
    assert not [t for t in said if sentences.contains_phrase(t)]
    assert {s.position for s in positives} == set(corpus.POSITIONS)


def test_engine_score_reports_recall_per_condition_and_lists_false_trigger_files():
    from benchmarks import spotter

    def entry(name, noise, snr, phrases):
        return {"file": name, "duration": 20.0, "noise": noise, "snr": snr, "style": "calm",
                "reverb": "dry", "voice_family": "piper", "voice": "joe-x", "position": None,
                "near_misses": 1, "text": "...", "phrases": [{"start": a, "end": b} for a, b in phrases]}

    manifest = {"files": [entry("a.wav", "none", None, [(5.0, 6.0)]),
                          entry("b.wav", "babble", 5, [(5.0, 6.0)]),
                          entry("c.wav", "babble", 5, [])]}
    detections = {"a.wav": [{"time": 6.2}], "b.wav": [], "c.wav": [{"time": 3.0}]}
    result = spotter.score(manifest, detections)
    assert result["overall"]["recall"] == 0.5
    noise = result["by_condition"]["noise"]
    assert noise["none"]["recall"] == 1.0 and noise["babble 5 dB"]["recall"] == 0.0
    assert noise["babble 5 dB"]["false_triggers"] == 1
    assert [f["file"] for f in result["false_trigger_files"]] == ["c.wav"]
    assert result["missed_files"] == ["b.wav"]


def test_festival_and_flite_voices_are_kept_out_of_tuning():
    # They stand in for couples the ear never heard: tuning on them would flatter it.
    assert {v.family for v in corpus.VOICES["tune"]} == set(corpus.SEEN_FAMILIES)
    unseen = [v for v in corpus.VOICES["test"] if not v.seen]
    assert {v.family for v in unseen} == {"festival", "flite"} and len(unseen) == 7
