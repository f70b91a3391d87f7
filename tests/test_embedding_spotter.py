"""The 'embedding' spotter: openWakeWord's front end + a per-phrase classifier.

Real TFLite models, real Piper speech, real noise; the shipped model for the default phrase.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pi_pause import config, phrase_data, phrase_model
from pi_pause.embedding import SpeechFrontEnd
from pi_pause.oww_engine import EmbeddingEngine

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
    path = phrase_model.find(settings, PHRASE)
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


def test_a_tiny_recipe_already_tells_the_phrase_from_a_near_miss(tmp_path, speaker, front):
    recipe = phrase_data.Recipe(version="test", positives=20, near_misses=32, other_speech=2,
                                noise_only=2, seed=7)
    model = phrase_model.build(PHRASE, recipe, tmp_path / "speech", epochs=40)
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
        phrase_model.load_for(settings, "time out please")


def test_phrase_train_refuses_a_phrase_with_digits_in_one_line(cli):
    result = cli("phrase", "train", "pause 2")
    assert result.returncode == 2
    assert "phrase" in result.stderr and "Traceback" not in result.stderr


def test_open_engine_uses_the_shipped_model_and_sensitivity_moves_the_threshold(tmp_path):
    from pi_pause import oww_engine

    low = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n[listen]\nsensitivity = 0.2\n')
    high = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n[listen]\nsensitivity = 0.8\n')
    a, b = oww_engine.open_engine(low), oww_engine.open_engine(high)
    assert list(a.models) == [PHRASE] and a.threshold > oww_engine.DEFAULT_THRESHOLD > b.threshold
    ok, message = oww_engine.check(low, "time out please")
    assert not ok and "pi-pause phrase train" in message
    a.close()
    b.close()
