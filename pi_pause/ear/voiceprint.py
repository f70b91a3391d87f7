"""The couple's own voices saying their phrase, as numbers: a second opinion for the decision.

Enrollment (``pi-pause phrase enroll``) hands :func:`adapt` a few takes of one person
saying the phrase. It trains a small classifier of that person's phrase on openWakeWord
speech embeddings (:mod:`pi_pause.ear.speech_embedding`, the same network the phrase
models use) and returns its weights: numbers only, never audio, never text, which
:mod:`pi_pause.ear.enrollment` keeps in the state folder.

What it learns from, all made in memory from the takes:

- **positives**: each take many times over, a little higher or lower and faster or
  slower, in a small room, after and before other talk, buried in household noise
  (babble, TV, music, hum; -2 to 20 dB SNR) as :mod:`pi_pause.ear.phrase_data` makes it;
- **the same voice not saying the phrase**: each take reversed (the same voice and
  sounds in another order), cut short ("let's take a"), its pieces reordered, and its
  start followed by other sounds: another take's start, its own end reversed, or the
  last word of a near miss moved to the take's pitch ("let's take a ... bus"), all in the
  same noise, so the classifier learns the words in that voice, not the voice;
- **everyone else**: a bank of synthetic speech (Piper: everyday lines and near misses
  of the phrase such as "let's take a bus") and noise alone, embedded once per phrase
  and kept in the cache folder (it holds no one's voice).

At listening time :class:`EnrolledOpinion` scores a window with every enrolled person's
classifier and gives the best as a :class:`~pi_pause.ear.decision.Opinion` in nats,
like Whisper's score: ``log(p)``, 0 when surely one of them said the phrase.

    numbers = adapt(takes, "let's take a pause", cache=folder)   # takes: float32, 16 kHz
    opinion = EnrolledOpinion([numbers_sam, numbers_alex])
    opinion.score([window], "let's take a pause")                # e.g. -0.02; far lower for a bus
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from pi_pause.ear import phrase_data, phrase_model
from pi_pause.ear.phrase_model import PhraseModel
from pi_pause.ear.speech_embedding import SpeechFrontEnd

RATE = 16_000
FORMAT = 2  # of the arrays adapt() returns; a stored enrollment of another format is made again
# The opinion's share in the fused score, and below what it abstains (log p: p < 0.05, not an
# enrolled voice saying the phrase), leaving the decision to Whisper tiny.en and base. Tune split,
# two sets of two enrolled voices (`python -m benchmarks.enrollment sweep`, docs/spotter.md,
# "Enrolled voices"): 0.5 heard 69 and 66 of 80 phrases (58 and 55 without enrollment) with 2
# and 1 false candidates (1 and 1 without); 0.6 heard 74 and 71 with 2 and 2. The first version
# multiplied false triggers on never-seen voices, so the weight that adds fewest is kept.
WEIGHT = 0.5
ABSTAIN_NATS = -3.0
FLOOR_NATS = -20.0  # the opinion never says less than this (log of a tiny probability)
SEED = 20261206
AUGMENTS = 12  # noisy copies of each take (positives)
IMPOSTORS = 2  # noisy copies of each of a take's six impostors (negatives; see impostors())
BANK_LINES = 28  # everyday lines in the bank (Piper), besides the phrase's near misses
BANK_VERSION = "b1"
ENDINGS = 16  # near misses whose last words follow the takes' starts (impostors)
PIECES = ("mean", "scale", "w1", "b1", "w2", "b2")


class PiperSpeaker(phrase_data.Speaker):
    """Piper only (espeak-ng is not installed on the Pi), with varied settings, cached by text."""

    def say(self, text: str, rng: np.random.Generator) -> np.ndarray:
        settings = (round(rng.uniform(0.75, 1.3), 2), round(rng.uniform(0.3, 1.0), 2), round(rng.uniform(0.3, 1.2), 2))
        key = hashlib.sha1(repr((text, "piper", settings)).encode()).hexdigest()[:20]
        path = self.cache / f"{key}.npy"
        if path.exists():
            return np.load(path)
        audio = self._piper_say(text, *settings)
        np.save(path, audio)
        return audio


def _int16(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.dtype == np.int16:
        return audio
    return np.clip(audio.astype(np.float32) * 32767.0, -32768, 32767).astype(np.int16)


def speech_span(take: np.ndarray) -> np.ndarray:
    """The take without the quiet before and after it (int16)."""
    return phrase_data._trim(_int16(take), floor=0.05)


class _Maker:
    """Noisy clips in context around a core, embedded and labelled (see the module docs)."""

    def __init__(self, front: SpeechFrontEnd, rng: np.random.Generator, talk: list[np.ndarray]):
        self.front, self.rng, self.talk = front, rng, talk

    def _other(self) -> np.ndarray:
        return self.talk[int(self.rng.integers(len(self.talk)))]

    def clip(self, core: np.ndarray, is_phrase: bool) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:  # a raised voice: higher, faster, pushed into clipping
            core = phrase_data.raised(core, rng)
        elif roll < 0.8:
            core = phrase_data.shift(core, float(np.exp(rng.uniform(np.log(0.94), np.log(1.06)))))
        before = self._other()[-int(rng.uniform(0.3, 1.5) * RATE):] if rng.random() < 0.5 else np.zeros(0, np.int16)
        after = self._other()[:int(rng.uniform(0.3, 1.0) * RATE)] if rng.random() < 0.5 else np.zeros(0, np.int16)
        lead = rng.uniform(0.05, 0.5) if len(before) else rng.uniform(1.4, 1.8)  # room for a whole window
        gap1 = np.zeros(int(lead * RATE), np.int16)
        gap2 = np.zeros(int(rng.uniform(0.03, 0.5) * RATE), np.int16)
        tail = np.zeros(int(rng.uniform(0.5, 0.9) * RATE), np.int16)
        audio = np.concatenate([before, gap1, core, gap2, after, tail])
        end = (len(before) + len(gap1) + len(core)) / RATE if is_phrase else None
        emb = self.front.embed(phrase_data.mix(audio, rng, self.talk))
        return phrase_model.labelled_windows(emb, end)

    def noise_only(self) -> tuple[np.ndarray, np.ndarray]:
        n = int(self.rng.uniform(2.5, 3.5) * RATE)
        x = phrase_data.noise(n, self.rng, self.talk)
        x = (x / (np.max(np.abs(x)) + 1e-9) * 32767 * self.rng.uniform(0.05, 0.9)).astype(np.int16)
        return phrase_model.labelled_windows(self.front.embed(x), None)


def pitch(audio: np.ndarray) -> float | None:
    """The median fundamental frequency (Hz) of the voiced 40 ms frames of ``audio`` (int16),
    by autocorrelation; None when nothing is voiced."""
    x = np.asarray(audio, np.float32) / 32768.0
    size, found = int(0.04 * RATE), []
    low, high = RATE // 400, RATE // 60  # lags for 400 Hz down to 60 Hz
    for start in range(0, len(x) - size, size // 2):
        frame = x[start:start + size] - x[start:start + size].mean()
        energy = float(frame @ frame)
        if energy < 1e-4:
            continue
        ac = np.correlate(frame, frame, "full")[size - 1:]
        lag = low + int(np.argmax(ac[low:high]))
        if ac[lag] > 0.5 * energy:
            found.append(RATE / lag)
    return float(np.median(found)) if found else None


def impostors(take: np.ndarray, other: np.ndarray, endings: list[np.ndarray],
              rng: np.random.Generator) -> list[np.ndarray]:
    """The same voice not saying the phrase: reversed, cut short, its pieces reordered; its
    start followed by the start of another take ("let's take a let's"), by its own end
    reversed, and by the last word of a near miss ("let's take a ... bus"), that word moved
    to the take's pitch."""
    cut = int(len(take) * rng.uniform(0.55, 0.75))
    pieces = np.array_split(take, int(rng.integers(3, 6)))
    order = rng.permutation(len(pieces))
    while (order == np.arange(len(pieces))).all():
        order = rng.permutation(len(pieces))
    ending = endings[int(rng.integers(len(endings)))] if endings else take[cut:][::-1]
    return [take[::-1].copy(), take[:cut], np.concatenate([pieces[i] for i in order]),
            np.concatenate([take[:cut], other[:int(len(other) * rng.uniform(0.25, 0.45))]]),
            np.concatenate([take[:cut], take[cut:][::-1]]),
            np.concatenate([take[:cut], ending])]


def endings(phrase: str, cache: Path | None, voice_pitch: float | None) -> list[np.ndarray]:
    """The last words of the phrase's near misses in Piper's voice ("bus" of "let's take a
    bus"), moved to ``voice_pitch``: what follows "let's take a" when it is not the phrase."""
    words = len(phrase.split())
    texts = [t for t in phrase_data.near_miss_texts(phrase)
             if len(t.split()) == words and t.split()[:-1] == phrase.split()[:-1]][:ENDINGS]
    if not texts:
        return []
    rng = np.random.default_rng(SEED + 1)
    with tempfile.TemporaryDirectory() as tmp:
        speaker = PiperSpeaker(cache or Path(tmp))
        said = [speaker.say(t, rng) for t in texts]
    out = []
    for audio in said:
        tail = audio[int(len(audio) * 0.62):]
        theirs = pitch(audio)
        if voice_pitch and theirs:
            tail = phrase_data.shift(tail, float(np.clip(voice_pitch / theirs, 0.5, 2.0)))
        out.append(tail)
    return out


def bank(phrase: str, cache: Path | None, front: SpeechFrontEnd, talk: list[np.ndarray],
         log=lambda msg: None) -> np.ndarray:
    """Negative windows of everyone else (``talk`` from :func:`_talk`, the phrase's near
    misses and noise), for ``phrase``; kept in ``cache`` once made (a few hundred kB; Piper's
    audio for it is cached there too)."""
    key = hashlib.sha1(f"{phrase}|{BANK_VERSION}".encode()).hexdigest()[:16]
    path = cache / "enrollment" / f"bank-{key}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path)
    rng = np.random.default_rng(SEED)
    speech = _speech_folder(cache)
    misses = phrase_data.near_miss_texts(phrase)
    log(f"making the bank: {len(talk)} lines and {len(misses)} near misses (Piper)")
    with tempfile.TemporaryDirectory() as tmp:
        speaker = PiperSpeaker(speech or Path(tmp))
        said = talk + [speaker.say(t, rng) for t in misses]
    maker = _Maker(front, rng, talk)
    parts = [maker.clip(phrase_data.shift(a, float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))), False)[0]
             for a in said]
    parts += [maker.noise_only()[0] for _ in range(16)]
    windows = np.concatenate(parts).astype(np.float16)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_suffix(".tmp.npy")
        np.save(tmp_path, windows)
        tmp_path.replace(path)
    return windows


def adapt(takes: list[np.ndarray], phrase: str, *, cache: Path | None = None,
          front: SpeechFrontEnd | None = None, log=lambda msg: None) -> dict[str, np.ndarray]:
    """One person's enrollment: the weights of their phrase classifier, from ``takes``
    (float32 or int16 mono 16 kHz, each saying ``phrase``). ``cache`` keeps the bank of
    everyone else between enrollments (see :func:`bank`)."""
    own = front is None
    front = front or SpeechFrontEnd()
    try:
        # Other talk around the takes comes from the bank's speakers, never from the takes.
        talk = _talk(_speech_folder(cache))
        negatives = bank(phrase, cache, front, talk, log)
        rng = np.random.default_rng([SEED, len(takes)])
        cores = [speech_span(t) for t in takes]
        heights = [p for p in map(pitch, cores) if p]
        tails = endings(phrase, _speech_folder(cache), float(np.median(heights)) if heights else None)
        maker = _Maker(front, rng, talk)
        xs, ys = [negatives], [np.zeros(len(negatives), np.float32)]
        for k, core in enumerate(cores):
            for _ in range(AUGMENTS):
                x, y = maker.clip(core, True)
                xs.append(x)
                ys.append(y)
            for _ in range(IMPOSTORS):
                for fake in impostors(core, cores[(k + 1) % len(cores)], tails, rng):
                    x, _ = maker.clip(fake, False)
                    xs.append(x)
                    ys.append(np.zeros(len(x), np.float32))
        x, y = np.concatenate(xs).astype(np.float32), np.concatenate(ys)
        log(f"training on {len(x)} windows ({int(y.sum())} of the phrase) from {len(takes)} takes")
        model = PhraseModel.train(x, y, hidden=32, epochs=20, seed=SEED, noise=0.1)
    finally:
        if own:
            front.close()
    return {"format": np.array(FORMAT), **{k: np.asarray(getattr(model, k), np.float32) for k in PIECES}}


def _speech_folder(cache: Path | None) -> Path | None:
    """Where Piper's audio for enrollment is cached (None: made afresh, in a temporary folder)."""
    return cache / "enrollment" / "speech" if cache else None


def _talk(cache: Path | None) -> list[np.ndarray]:
    """Everyday lines in Piper's voice at varied settings: the talk around and under the takes."""
    with tempfile.TemporaryDirectory() as tmp:
        speaker = PiperSpeaker(cache or Path(tmp))
        lines = phrase_data.everyday_lines()
        order = np.random.default_rng(SEED).permutation(len(lines))[:BANK_LINES]
        return [speaker.say(lines[int(i)], np.random.default_rng([SEED, int(i)])) for i in order]


def model_of(numbers: dict[str, np.ndarray]) -> PhraseModel:
    """The classifier kept by :func:`adapt`."""
    return PhraseModel(*(np.asarray(numbers[k], np.float32) for k in PIECES))


class EnrolledOpinion:
    """:class:`~pi_pause.ear.decision.Opinion` from every enrolled person's numbers."""

    weight = WEIGHT

    def __init__(self, people: list[dict[str, np.ndarray]], front: SpeechFrontEnd | None = None):
        self._models = [model_of(p) for p in people]
        self._own = front is None
        self._front = front or SpeechFrontEnd()

    def probability(self, window: np.ndarray) -> float:
        """The best of the people's probabilities that ``window`` (float, 16 kHz) ends with the phrase."""
        x = phrase_model.windows_of(self._front.embed(_int16(window)))
        if not len(x) or not self._models:
            return 0.0
        return float(max(m.score(x).max() for m in self._models))

    def score(self, windows: list[np.ndarray], phrase: str) -> float | None:
        if not self._models:
            return None
        p = max(self.probability(w) for w in windows)
        said = max(float(np.log(max(p, 1e-30))), FLOOR_NATS)
        return said if said >= ABSTAIN_NATS else None

    def close(self) -> None:
        if self._own:
            self._front.close()
