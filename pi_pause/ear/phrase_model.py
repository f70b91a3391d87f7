"""A small per-phrase classifier on speech embeddings: "the phrase has just ended".

Input: :data:`WINDOW` embeddings from :mod:`pi_pause.ear.speech_embedding`, :data:`STRIDE` x 80 ms
apart, the newest last (8 x 96 numbers covering the last ~2 s of audio). Output: a
probability. The network is deliberately tiny (one hidden layer, numpy only) because the
frozen embedding already did the hard work; it is trained in minutes on audio that
:mod:`pi_pause.ear.phrase_data` synthesises from the phrase text. Embeddings 160 ms apart halve
the live CPU cost against 80 ms (the embedding network is nearly all of it) and measured as
well on the tune split (docs/spotter-embedding.md).

Training: a first model scores fresh negative speech ("mining" clips) and the windows it
wrongly likes are added as negatives; then three models are fitted from three seeds and
merged into one network that averages them (:meth:`PhraseModel.merged`).

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
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause.ear.speech_embedding import FEATURES, SpeechFrontEnd
from pi_pause.errors import UserError

WINDOW = 8                     # embeddings per decision: 8 x 160 ms apart cover ~1.9 s of audio
STRIDE = 2                     # chunks (80 ms) between the embeddings of a window
POSITIVE_AFTER = (0.04, 0.40)  # seconds after the phrase end where windows are positives
NEGATIVE_BEFORE = 0.25         # windows ending this long before the phrase end are negatives
NEGATIVE_AFTER = 1.0           # ... and this long after it
MINING_FLOOR = 0.2             # mined windows scoring at least this are added as negatives
FORMAT = 2                     # .npz layout version


class PhraseModelError(UserError):
    """A phrase model file is missing, damaged or for another phrase."""


def model_key(phrase: str, recipe_version: str) -> str:
    """File stem for a phrase model: readable, and unique per phrase text + recipe."""
    digest = hashlib.sha1(f"{phrase.strip().lower()}|{recipe_version}".encode()).hexdigest()[:12]
    slug = "-".join(phrase.lower().replace("'", "").split())[:40]
    return f"{slug}-{recipe_version}-{digest}"


def windows_of(embeddings: np.ndarray, length: int = WINDOW, stride: int = STRIDE) -> np.ndarray:
    """All sliding windows of ``length`` embeddings ``stride`` apart, flattened: (n, length * 96).

    Window ``i`` ends at embedding ``i + (length - 1) * stride``.
    """
    n = len(embeddings) - (length - 1) * stride
    if n <= 0:
        return np.zeros((0, length * FEATURES), embeddings.dtype)
    idx = np.arange(n)[:, None] + np.arange(length)[None, :] * stride
    return embeddings[idx].reshape(n, -1)


def labelled_windows(embeddings: np.ndarray, phrase_end: float | None, length: int = WINDOW,
                     stride: int = STRIDE):
    """(windows, labels) of one training clip's embeddings; ambiguous windows are dropped.

    Negative clips keep every other window: neighbours 80 ms apart are nearly the same.
    """
    x = windows_of(embeddings, length, stride)
    if phrase_end is None:
        return x[::2], np.zeros(len(x[::2]), np.float32)
    last = (length - 1) * stride
    ends = np.array([SpeechFrontEnd.embedding_end(i + last) for i in range(len(x))])
    after = ends - phrase_end
    pos = (after >= POSITIVE_AFTER[0]) & (after <= POSITIVE_AFTER[1])
    neg = (after < -NEGATIVE_BEFORE) | (after > NEGATIVE_AFTER)
    keep = pos | neg
    return x[keep], pos[keep].astype(np.float32)


def embed_part(phrase: str, recipe, speech_cache: Path, part: int, mining: bool = False,
               log=lambda msg: None) -> list[tuple[np.ndarray, float | None]]:
    """Synthesise and embed one part of the recipe: [(embeddings as float16, phrase end)]."""
    from pi_pause.ear import phrase_data

    front = SpeechFrontEnd()
    try:
        return [(front.embed(ex.audio, ex.warp).astype(np.float16), ex.phrase_end)
                for ex in phrase_data.examples(phrase, recipe, speech_cache, part, mining=mining, log=log)]
    finally:
        front.close()


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
    length: int = WINDOW
    stride: int = STRIDE

    def score(self, windows: np.ndarray) -> np.ndarray:
        """Probabilities (n,) that each flattened window ends just after the phrase."""
        x = (np.atleast_2d(windows) - self.mean) * self.scale
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-(h @ self.w2 + self.b2)))

    # -------------------------------------------------------------- training

    @classmethod
    def train(cls, x: np.ndarray, y: np.ndarray, *, hidden: int = 32, epochs: int = 30,
              seed: int = 0, l2: float = 1e-3, lr: float = 2e-3, noise: float = 0.1, batch: int = 256,
              log=lambda msg: None) -> "PhraseModel":
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
        step = 0
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

    @classmethod
    def merged(cls, models: list["PhraseModel"]) -> "PhraseModel":
        """One model whose log-odds are the mean of ``models``' (an ensemble, as one network).

        Each member's standardisation is folded into its first layer, the hidden layers are
        placed side by side and the output weights divided by the member count.
        """
        k = len(models)
        w1 = np.concatenate([m.scale[:, None] * m.w1 for m in models], axis=1)
        b1 = np.concatenate([m.b1 - (m.mean * m.scale) @ m.w1 for m in models])
        w2 = np.concatenate([m.w2 / k for m in models])
        b2 = np.float32(np.mean([m.b2 for m in models]))
        d = w1.shape[0]
        first = models[0]
        return cls(np.zeros(d, np.float32), np.ones(d, np.float32), w1.astype(np.float32),
                   b1.astype(np.float32), w2.astype(np.float32), b2, first.phrase, first.recipe,
                   first.length, first.stride)

    # -------------------------------------------------------------- files

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, format=FORMAT, phrase=self.phrase, recipe=self.recipe,
                            length=self.length, stride=self.stride,
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
                           str(f["phrase"]), str(f["recipe"]), int(f["length"]), int(f["stride"]))
        except (OSError, KeyError, ValueError) as exc:
            raise PhraseModelError(f"cannot read phrase model {path} ({exc}); "
                                   "retrain it with: pi-pause phrase train") from exc


# ------------------------------------------------------------------ building and finding models

# The models shipped in the wheel (the default phrase). Installed as a plain folder (pip, -e),
# so the package data is a real path that PhraseModel.load can open.
BUILT_IN = Path(str(importlib.resources.files("pi_pause.ear") / "data" / "phrase_models"))


def embed_recipe(phrase: str, recipe, speech_cache: Path, *, mining: bool = False, jobs: int = 1,
                 log=lambda msg: None, part_done=lambda: None) -> list[tuple[np.ndarray, float | None]]:
    """Every part of the recipe, embedded, in part order; ``jobs`` parts at a time.
    ``part_done()`` is called as each part is finished (for a progress bar)."""
    parts = range(recipe.parts)
    if jobs <= 1:
        clips = []
        for part in parts:
            clips += embed_part(phrase, recipe, speech_cache, part, mining, log)
            part_done()
        return clips
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fresh interpreters, not forks: the TFLite library and Piper are loaded per worker.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(embed_part, phrase, recipe, speech_cache, part, mining) for part in parts]
        clips = []
        for part, future in zip(parts, futures):
            clips += future.result()
            log(f"{'mining' if mining else 'training'} part {part + 1}/{recipe.parts} embedded")
            part_done()
    return clips


def stack(clips, length: int = WINDOW, stride: int = STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """Labelled windows of many clips, as one float16 matrix and a label vector."""
    pairs = [labelled_windows(emb, end, length, stride) for emb, end in clips]
    return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


def fit(clips, mining_clips, *, seed: int, hidden: int = 64, epochs: int = 12, members: int = 3,
        length: int = WINDOW, stride: int = STRIDE, log=lambda msg: None, **train_args) -> PhraseModel:
    """Fit on the clips; mine hard negatives with that model; fit ``members`` models on all of
    it, each from its own seed, and average them (one merged model, see :meth:`merged`)."""
    x, y = stack(clips, length, stride)
    log(f"fitting on {len(x)} windows ({int(y.sum())} positive)")
    model = PhraseModel.train(x, y, hidden=hidden, epochs=epochs, seed=seed, log=log, **train_args)
    if mining_clips:
        hard, seen = [], 0
        for emb, _ in mining_clips:
            windows = windows_of(emb, length, stride)
            seen += len(windows)
            hard.append(windows[model.score(windows.astype(np.float32)) >= MINING_FLOOR])
        hard = np.concatenate(hard)
        log(f"{len(hard)} of {seen} mined windows score >= {MINING_FLOOR}; fitting again with them")
        x, y = np.concatenate([x, hard]), np.concatenate([y, np.zeros(len(hard), np.float32)])
    fits = []
    for member in range(members):
        log(f"fitting member {member + 1}/{members}")
        fits.append(PhraseModel.train(x, y, hidden=hidden, epochs=epochs, seed=seed + 1 + member, log=log,
                                      **train_args))
    model = PhraseModel.merged(fits)
    model.length, model.stride = length, stride
    return model


def build(phrase: str, recipe, speech_cache: Path, *, jobs: int = 1, log=lambda msg: None,
          progress=lambda done, total: None, **fit_args) -> PhraseModel:
    """Synthesise the recipe's audio for ``phrase``, embed it and fit a model (seeded).
    ``progress(done, total)`` counts the parts made so far (the long stage: about an hour)."""
    from pi_pause.ear import phrase_data

    recipe = recipe or phrase_data.Recipe()
    total = recipe.parts * (2 if recipe.mining else 1)
    made = [0]

    def part_done() -> None:
        made[0] += 1
        progress(made[0], total)

    progress(0, total)
    clips = embed_recipe(phrase, recipe, speech_cache, jobs=jobs, log=log, part_done=part_done)
    mining = (embed_recipe(phrase, recipe, speech_cache, mining=True, jobs=jobs, log=log, part_done=part_done)
              if recipe.mining else [])
    model = fit(clips, mining, seed=recipe.seed, log=log, **fit_args)
    model.phrase, model.recipe = phrase, recipe.version
    return model


def find(phrase: str, trained: Path, recipe_version: str | None = None) -> Path | None:
    """The model file for ``phrase``: one trained into the folder ``trained`` first (see
    :func:`pi_pause.ear.spotter.trained_models_dir`), else the one shipped with pi-pause."""
    from pi_pause.ear import phrase_data

    name = model_key(phrase, recipe_version or phrase_data.Recipe.version) + ".npz"
    for folder in (trained, BUILT_IN):
        if (folder / name).exists():
            return folder / name
    return None


def load_for(phrase: str, trained: Path) -> PhraseModel:
    """The model for ``phrase``, or a PhraseModelError saying how to make one."""
    path = find(phrase, trained)
    if path is None:
        raise PhraseModelError(
            f"no phrase model for {phrase!r} yet; train one with: pi-pause phrase train \"{phrase}\" "
            "(an hour or more; a few hours on a Raspberry Pi 4), or use engine = \"pocketsphinx\"")
    model = PhraseModel.load(path)
    if model.phrase != phrase:
        raise PhraseModelError(f"{path} was trained for {model.phrase!r}, not {phrase!r}; "
                               f"retrain with: pi-pause phrase train \"{phrase}\"")
    return model
