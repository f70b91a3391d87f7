"""The 'embedding' spotter: openWakeWord's front end + a per-phrase classifier.

Real TFLite models, real Piper speech, real noise; the shipped model for the default phrase.
"""

from __future__ import annotations


import numpy as np
import pytest

from pi_pause import config
from pi_pause.ear import phrase_data, phrase_model, spotter
from pi_pause.ear.speech_embedding import SpeechFrontEnd
from pi_pause.ear.embedding_engine import EmbeddingEngine

RATE = 16000
PHRASE = "let's take a pause"


@pytest.fixture(scope="session")
def speaker(tmp_path_factory) -> phrase_data.Speaker:
    return phrase_data.Speaker(tmp_path_factory.mktemp("speech"))


def piper(speaker, text: str, length: float = 1.1, noise: float = 0.5) -> np.ndarray:
    return speaker._piper_say(text, length, noise, 0.7)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def noisy(audio: np.ndarray, snr_db: float, seed: int = 1) -> np.ndarray:
    """Audio plus pink noise at ``snr_db`` (power over the whole clip)."""
    rng = np.random.default_rng(seed)
    n = phrase_data._colored(len(audio), rng, 1.0)
    x = audio.astype(np.float64)
    n *= np.sqrt(np.mean(x ** 2) / (np.mean(n ** 2) * 10 ** (snr_db / 10)))
    return np.clip(x + n, -32768, 32767).astype(np.int16)


@pytest.fixture(scope="session")
def front() -> SpeechFrontEnd:
    return SpeechFrontEnd()


@pytest.fixture(scope="session")
def shipped_model() -> phrase_model.PhraseModel:
    settings = config.parse("")
    path = phrase_model.find(PHRASE, spotter.trained_models_dir(settings))
    assert path is not None and path.parent == phrase_model.BUILT_IN
    return phrase_model.PhraseModel.load(path)


def stream(engine: EmbeddingEngine, audio: np.ndarray) -> list[float]:
    """Feed 100 ms frames as the listener does; seconds consumed at each detection."""
    fired, fed = [], 0
    for start in range(0, len(audio), 1600):
        frame = audio[start:start + 1600]
        fed += len(frame)
        if engine.feed(frame) is not None:
            fired.append(fed / RATE)
    return fired


def test_front_end_gives_96_numbers_every_80ms_and_streaming_matches_batch(front, speaker):
    audio = np.concatenate([silence(1.0), piper(speaker, "I asked you to call me before you left."), silence(0.5)])
    batch = front.embed(audio)
    chunks = len(audio) // 1280
    assert batch.shape == (chunks - 9, 96)          # the first needs 10 chunks (76 mel frames)
    assert front.embedding_end(0) == pytest.approx(0.8)
    assert front.embedding_end(1) - front.embedding_end(0) == pytest.approx(0.08)
    live = front.stream()
    streamed = np.concatenate([live.feed(audio[i:i + 1600]) for i in range(0, len(audio), 1600)])
    assert np.allclose(streamed, batch[:len(streamed)], atol=1e-3)
    # Speech and silence are far apart: the embeddings carry what was said.
    assert np.linalg.norm(batch[-1] - batch[len(batch) // 2]) > 1.0


def test_every_other_embedding_streamed_matches_the_batch_and_warp_only_moves_bands(front, speaker):
    audio = np.concatenate([silence(1.0), piper(speaker, "Could you hand me the blue cup?"), silence(0.5)])
    batch = front.embed(audio)
    live = front.stream(every=2)
    streamed = np.concatenate([live.feed(audio[i:i + 1600]) for i in range(0, len(audio), 1600)])
    assert len(streamed) == len(batch) // 2
    assert np.allclose(streamed, batch[1::2][:len(streamed)], atol=1e-3)
    assert np.array_equal(front.embed(audio, warp=1.0), batch)
    warped = front.embed(audio, warp=1.1)
    assert warped.shape == batch.shape and not np.allclose(warped, batch, atol=1e-2)


def test_windows_are_labelled_by_when_they_end_relative_to_the_phrase_end():
    emb = np.arange(40 * 96, dtype=np.float32).reshape(40, 96)
    x = phrase_model.windows_of(emb, length=8, stride=2)
    assert x.shape == (40 - 14, 8 * 96)
    assert np.array_equal(x[0].reshape(8, 96)[:, 0], emb[0:15:2, 0])   # window 0 ends at embedding 14
    end = SpeechFrontEnd.embedding_end(20)                              # the phrase ends with embedding 20
    xs, ys = phrase_model.labelled_windows(emb, end, length=8, stride=2)
    ends = [SpeechFrontEnd.embedding_end(int(w.reshape(8, 96)[-1, 0]) // 96) - end for w in xs]
    assert all(phrase_model.POSITIVE_AFTER[0] <= e <= phrase_model.POSITIVE_AFTER[1] for e, y in zip(ends, ys) if y)
    assert all(e < -phrase_model.NEGATIVE_BEFORE or e > phrase_model.NEGATIVE_AFTER for e, y in zip(ends, ys) if not y)
    assert 3 <= ys.sum() <= 5                                           # 0.04-0.4 s: embeddings 21-25
    negatives, labels = phrase_model.labelled_windows(emb, None, length=8, stride=2)
    assert len(negatives) == 13 and not labels.any()                    # every other window of 26


def test_recipe_parts_add_up_and_no_negative_text_is_the_phrase():
    recipe = phrase_data.Recipe()
    for count in (recipe.positives, recipe.mining, 7, 1):
        assert sum(recipe.share(count, part) for part in range(recipe.parts)) == count
    texts = phrase_data.near_miss_texts(PHRASE) + phrase_data.everyday_lines()
    rng = np.random.default_rng(3)
    texts += [phrase_data.word_string(rng, PHRASE) for _ in range(200)]
    words = [" " + " ".join("".join(c if c.isalpha() or c == "'" else " " for c in t.lower()).split()) + " "
             for t in texts]
    assert len(phrase_data.everyday_lines()) >= 350
    assert not [t for t in words if " take a pause " in t]
    alike = phrase_data.sound_alikes("pause")
    assert len(alike) == 30 and "pose" in alike and not {"pause", "paws", "paused", "paw"} & set(alike)


def test_a_recipe_part_is_the_same_audio_every_time(tmp_path):
    recipe = phrase_data.Recipe(version="test", positives=2, near_misses=2, other_speech=2, noise_only=1,
                                mining=2, parts=1, babble_voices=3, seed=11)
    first = list(phrase_data.examples(PHRASE, recipe, tmp_path / "a"))
    again = list(phrase_data.examples(PHRASE, recipe, tmp_path / "b"))
    assert [e.phrase_end is not None for e in first] == [True, True, False, False, False, False, False]
    for a, b in zip(first, again):
        assert a.warp == b.warp and a.phrase_end == b.phrase_end and len(a.audio) == len(b.audio)
    mined = list(phrase_data.examples(PHRASE, recipe, tmp_path / "a", mining=True))
    assert len(mined) == 2 and all(e.phrase_end is None for e in mined)


def test_merged_models_score_the_mean_of_their_log_odds(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((600, 40)).astype(np.float32) * 3 + 1
    y = (x[:, 0] + x[:, 1] > 2).astype(np.float32)
    members = [phrase_model.PhraseModel.train(x, y, hidden=8, epochs=3, seed=s) for s in (1, 2, 3)]
    merged = phrase_model.PhraseModel.merged(members)
    merged.save(tmp_path / "m.npz")                     # weights stored as float16
    merged = phrase_model.PhraseModel.load(tmp_path / "m.npz")

    def logit(p):
        return np.log(p / (1 - p))

    expected = np.mean([logit(m.score(x[:50])) for m in members], axis=0)
    assert np.allclose(logit(merged.score(x[:50])), expected, atol=0.05)
    assert not np.allclose(logit(members[0].score(x[:50])), expected, atol=0.05)


def test_a_tiny_recipe_already_tells_the_phrase_from_a_near_miss(tmp_path, speaker, front):
    recipe = phrase_data.Recipe(version="test", positives=20, near_misses=64, other_speech=2,
                                noise_only=2, mining=6, parts=1, babble_voices=4, seed=7)
    made = []
    model = phrase_model.build(PHRASE, recipe, tmp_path / "speech", epochs=40,
                               progress=lambda done, total: made.append((done, total)))
    assert made == [(0, 2), (1, 2), (2, 2)]  # the training part, then the mining part
    path = tmp_path / "m.npz"
    model.save(path)
    model = phrase_model.PhraseModel.load(path)
    assert model.phrase == PHRASE and path.stat().st_size < 300_000

    def best(text: str) -> float:
        """Highest score over a clip, averaged over three fresh renderings (Piper samples noise)."""
        scores = []
        for length in (0.9, 1.0, 1.15):
            audio = np.concatenate([silence(1.5), piper(speaker, text, length=length, noise=0.8), silence(0.6)])
            scores.append(model.score(phrase_model.windows_of(front.embed(audio))).max())
        return float(np.mean(scores))

    phrase, near_miss = best("Let's take a pause."), best("Let's take a bus.")
    print(f"phrase {phrase:.3f} near miss {near_miss:.3f}")
    assert phrase > 0.5
    assert phrase > near_miss + 0.15


def test_engine_hears_the_phrase_in_noise_soon_after_it_ends(speaker, shipped_model, front):
    before = piper(speaker, "You never listen when I talk about money.")
    phrase = piper(speaker, "Let's take a pause!", length=1.0)
    audio = np.concatenate([silence(0.5), before, silence(0.4), phrase, silence(1.5)])
    end = (0.5 * RATE + len(before) + 0.4 * RATE + len(phrase)) / RATE
    engine = EmbeddingEngine({PHRASE: shipped_model}, front=front)
    fired = stream(engine, noisy(audio, 10))
    assert len(fired) == 1
    assert end - 0.1 <= fired[0] <= end + 0.5


@pytest.mark.parametrize("text", ["Let's take a bus.", "Let's take a break.", "Pause the movie.",
                                  "Let's talk later.", "Take a pass on that."])
def test_engine_ignores_near_misses(speaker, shipped_model, front, text):
    audio = np.concatenate([silence(1.0), piper(speaker, text), silence(1.5)])
    engine = EmbeddingEngine({PHRASE: shipped_model}, front=front)
    assert stream(engine, noisy(audio, 20)) == []


def test_engine_reset_forgets_audio_so_a_phrase_cut_in_two_is_not_heard(speaker, shipped_model, front):
    phrase = piper(speaker, "Let's take a pause.")
    engine = EmbeddingEngine({PHRASE: shipped_model}, front=front)
    half = len(phrase) * 2 // 3
    stream(engine, np.concatenate([silence(1.5), phrase[:half]]))
    engine.reset()
    assert stream(engine, np.concatenate([phrase[half:], silence(1.0)])) == []
    assert stream(engine, np.concatenate([silence(1.5), phrase, silence(1.0)])) != []


def test_a_phrase_with_no_model_is_refused_with_the_command_to_train_it(tmp_path):
    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n')
    with pytest.raises(phrase_model.PhraseModelError, match='pi-pause phrase train "time out please"'):
        phrase_model.load_for("time out please", spotter.trained_models_dir(settings))


def test_phrase_train_refuses_a_phrase_with_digits_in_one_line(cli):
    result = cli("phrase", "train", "pause 2")
    assert result.returncode == 2
    assert "phrase" in result.stderr and "Traceback" not in result.stderr


def test_open_engine_uses_the_shipped_model_and_sensitivity_moves_the_threshold(tmp_path):
    from pi_pause.ear import embedding_engine

    low = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n[listen]\nsensitivity = 0.2\n')
    high = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n[listen]\nsensitivity = 0.8\n')
    a, b = (embedding_engine.open_engine(s.listen.phrases, s.listen.sensitivity, spotter.trained_models_dir(s))
            for s in (low, high))
    assert list(a.models) == [PHRASE] and a.threshold > embedding_engine.DEFAULT_THRESHOLD > b.threshold
    ok, message = embedding_engine.check("time out please", spotter.trained_models_dir(low))
    assert not ok and "pi-pause phrase train" in message
    a.close()
    b.close()
