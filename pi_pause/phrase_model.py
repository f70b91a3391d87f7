"""A small per-phrase classifier on speech embeddings: "the phrase has just ended".

Input: the last :data:`WINDOW` embeddings from :mod:`pi_pause.embedding` (16 x 96 numbers,
1.28 s of audio). Output: a probability. The network is deliberately tiny (one hidden layer,
numpy only) because the frozen embedding already did the hard work; it is trained in a couple
of minutes on audio that :mod:`pi_pause.phrase_data` synthesises from the phrase text.

Training labels come from time: a window is a positive when it ends 0.04-0.4 s after the
phrase ended (so the model learns to fire promptly, not while the phrase is still going), and
a negative when it ends well before the phrase or long after it, or anywhere in near misses,
other speech and noise. Windows in between are left out: they are neither clearly right
nor clearly wrong.

Models are stored as small .npz files keyed by phrase text and recipe version::

    model = PhraseModel.train(windows, labels)
    model.save(path); PhraseModel.load(path).score(window)
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause.embedding import FEATURES, SpeechFrontEnd
from pi_pause.errors import UserError

WINDOW = 16                    # embeddings per decision (1.28 s)
POSITIVE_AFTER = (0.04, 0.40)  # seconds after the phrase end where windows are positives
NEGATIVE_BEFORE = 0.25         # windows ending this long before the phrase end are negatives
NEGATIVE_AFTER = 1.0           # ... and this long after it
FORMAT = 1                     # .npz layout version


class PhraseModelError(UserError):
    """A phrase model file is missing, damaged or for another phrase."""


def model_key(phrase: str, recipe_version: str) -> str:
    """File stem for a phrase model: readable, and unique per phrase text + recipe."""
    digest = hashlib.sha1(f"{phrase.strip().lower()}|{recipe_version}".encode()).hexdigest()[:12]
    slug = "-".join(phrase.lower().replace("'", "").split())[:40]
    return f"{slug}-{recipe_version}-{digest}"


def windows_of(embeddings: np.ndarray) -> np.ndarray:
    """All (n - 15, 16 * 96) sliding windows of a clip's embeddings, flattened."""
    n = len(embeddings) - WINDOW + 1
    if n <= 0:
        return np.zeros((0, WINDOW * FEATURES), np.float32)
    idx = np.arange(n)[:, None] + np.arange(WINDOW)[None, :]
    return embeddings[idx].reshape(n, -1)


def labelled_windows(front: SpeechFrontEnd, audio: np.ndarray, phrase_end: float | None):
    """(windows, labels) of one training clip; ambiguous windows are dropped."""
    emb = front.embed(audio)
    x = windows_of(emb)
    ends = np.array([front.embedding_end(i + WINDOW - 1) for i in range(len(x))])
    if phrase_end is None:
        return x, np.zeros(len(x), np.float32)
    after = ends - phrase_end
    pos = (after >= POSITIVE_AFTER[0]) & (after <= POSITIVE_AFTER[1])
    neg = (after < -NEGATIVE_BEFORE) | (after > NEGATIVE_AFTER)
    keep = pos | neg
    return x[keep], pos[keep].astype(np.float32)


@dataclass
class PhraseModel:
    """Standardise, one ReLU hidden layer, a sigmoid out."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    phrase: str = ""
    recipe: str = ""

    def score(self, windows: np.ndarray) -> np.ndarray:
        """Probabilities (n,) that each flattened window ends just after the phrase."""
        x = (np.atleast_2d(windows) - self.mean) * self.scale
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-(h @ self.w2 + self.b2)))

    # -------------------------------------------------------------- training

    @classmethod
    def train(cls, x: np.ndarray, y: np.ndarray, *, hidden: int = 32, epochs: int = 30,
              seed: int = 0, l2: float = 1e-3, lr: float = 2e-3, noise: float = 0.1, log=lambda msg: None) -> "PhraseModel":
        """Fit with Adam on class-balanced binary cross-entropy; deterministic for a seed."""
        rng = np.random.default_rng(seed)
        # Windows arrive as float16 (half the memory on a Pi); statistics in float64 by chunks.
        total_sum, total_sq = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        for start in range(0, len(x), 4096):
            part = x[start:start + 4096].astype(np.float64)
            total_sum += part.sum(0)
            total_sq += (part ** 2).sum(0)
        mean = (total_sum / len(x)).astype(np.float32)
        std = np.sqrt(np.maximum(total_sq / len(x) - mean.astype(np.float64) ** 2, 0))
        scale = (1.0 / (std + 1e-3)).astype(np.float32)
        xs = x
        d = xs.shape[1]
        params = [rng.standard_normal((d, hidden)).astype(np.float32) * np.float32(np.sqrt(2 / d)),
                  np.zeros(hidden, np.float32),
                  rng.standard_normal(hidden).astype(np.float32) * np.float32(np.sqrt(1 / hidden)),
                  np.zeros((), np.float32)]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        # Positives are rare; weigh both classes equally.
        weight = np.where(y > 0.5, 0.5 / max(y.mean(), 1e-6), 0.5 / max(1 - y.mean(), 1e-6)).astype(np.float32)
        step, batch = 0, 256
        for epoch in range(epochs):
            order = rng.permutation(len(xs))
            total = 0.0
            for start in range(0, len(order), batch):
                i = order[start:start + batch]
                xb, yb, wb = (xs[i].astype(np.float32) - mean) * scale, y[i], weight[i]
                # Light input noise: the embeddings of voices never heard in training wobble.
                xb += rng.standard_normal(xb.shape, dtype=np.float32) * np.float32(noise)
                pre = xb @ params[0] + params[1]
                h = np.maximum(pre, 0)
                z = h @ params[2] + params[3]
                p = 1 / (1 + np.exp(-z))
                total += float(np.sum(wb * -(yb * np.log(p + 1e-7) + (1 - yb) * np.log(1 - p + 1e-7))))
                g = wb * (p - yb) / len(i)
                grads = [None, None, h.T @ g + l2 * params[2], g.sum()]
                gh = np.outer(g, params[2]) * (pre > 0)
                grads[0] = xb.T @ gh + l2 * params[0]
                grads[1] = gh.sum(0)
                step += 1
                for k, (p_, g_) in enumerate(zip(params, grads)):
                    m[k] = 0.9 * m[k] + 0.1 * g_
                    v[k] = 0.999 * v[k] + 0.001 * g_ * g_
                    mh, vh = m[k] / (1 - 0.9 ** step), v[k] / (1 - 0.999 ** step)
                    params[k] = (p_ - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
            log(f"epoch {epoch + 1}/{epochs} loss {total / len(xs):.4f}")
        return cls(mean, scale, *params)

    # -------------------------------------------------------------- files

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, format=FORMAT, phrase=self.phrase, recipe=self.recipe,
                            mean=self.mean.astype(np.float16), scale=self.scale.astype(np.float16),
                            w1=self.w1.astype(np.float16), b1=self.b1, w2=self.w2, b2=self.b2)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "PhraseModel":
        try:
            with np.load(path) as f:
                if int(f["format"]) != FORMAT:
                    raise PhraseModelError(f"{path} is an old phrase model; retrain it with: pi-pause phrase train")
                return cls(f["mean"].astype(np.float32), f["scale"].astype(np.float32),
                           f["w1"].astype(np.float32), f["b1"], f["w2"], f["b2"],
                           str(f["phrase"]), str(f["recipe"]))
        except (OSError, KeyError, ValueError) as exc:
            raise PhraseModelError(f"cannot read phrase model {path} ({exc}); "
                                   "retrain it with: pi-pause phrase train") from exc


# ------------------------------------------------------------------ building and finding models

BUILT_IN = Path(__file__).parent / "data" / "phrase_models"


def build(phrase: str, recipe, speech_cache: Path, *, hidden: int = 32,
          epochs: int = 20, log=lambda msg: None) -> PhraseModel:
    """Synthesise the recipe's audio for ``phrase``, embed it and fit a model (seeded)."""
    from pi_pause import phrase_data

    recipe = recipe or phrase_data.Recipe()
    front = SpeechFrontEnd()
    xs, ys = [], []
    try:
        for ex in phrase_data.examples(phrase, recipe, speech_cache, log):
            x, y = labelled_windows(front, ex.audio, ex.phrase_end)
            xs.append(x.astype(np.float16))
            ys.append(y)
    finally:
        front.close()
    log("fitting the classifier")
    model = PhraseModel.train(np.concatenate(xs), np.concatenate(ys), hidden=hidden,
                              epochs=epochs, seed=recipe.seed, log=log)
    model.phrase, model.recipe = phrase, recipe.version
    return model


def trained_dir(settings) -> Path:
    """Where ``pi-pause phrase train`` keeps models (the state folder: they are costly to remake)."""
    from pi_pause import dirs

    return dirs.state_dir(settings) / "phrase-models"


def find(settings, phrase: str, recipe_version: str | None = None) -> Path | None:
    """The model file for ``phrase``: one trained here first, else the one shipped with pi-pause."""
    from pi_pause import phrase_data

    name = model_key(phrase, recipe_version or phrase_data.Recipe.version) + ".npz"
    for folder in (trained_dir(settings), BUILT_IN):
        if (folder / name).exists():
            return folder / name
    return None


def load_for(settings, phrase: str) -> PhraseModel:
    """The model for ``phrase``, or a PhraseModelError saying how to make one."""
    path = find(settings, phrase)
    if path is None:
        raise PhraseModelError(
            f"no phrase model for {phrase!r} yet; train one with: pi-pause phrase train \"{phrase}\" "
            "(about half an hour on a Raspberry Pi 4), or use engine = \"pocketsphinx\"")
    model = PhraseModel.load(path)
    if model.phrase != phrase:
        raise PhraseModelError(f"{path} was trained for {model.phrase!r}, not {phrase!r}; "
                               f"retrain with: pi-pause phrase train \"{phrase}\"")
    return model


def train_command(args, settings) -> int:
    """``pi-pause phrase train TEXT``: build and store the model for a phrase."""
    from pi_pause import config, phrase_data

    phrase = " ".join(" ".join(args.text).lower().split())
    # The same rules as a phrase in the settings file (letters, spaces, apostrophes).
    config.parse(f"[listen]\nphrases = [{json.dumps(phrase)}]\n", source="phrase")
    recipe = phrase_data.Recipe()
    out = trained_dir(settings) / (model_key(phrase, recipe.version) + ".npz")
    if out.exists() and not args.force:
        print(f"already trained: {out} (use --force to retrain)")
        return 0
    started = time.perf_counter()
    # The synthetic speech (~100 MB) is only needed while training: keep it off the SD card.
    with tempfile.TemporaryDirectory(prefix="pi-pause-phrase-") as speech:
        model = build(phrase, recipe, Path(speech), log=lambda msg: print(msg, flush=True))
    model.save(out)
    print(f"trained {phrase!r} in {time.perf_counter() - started:.0f} s -> {out}")
    return 0
