"""Audio building blocks for the benchmark corpus: noise, reverb, mixing at an SNR.

All functions take and return float32 mono samples at 16 kHz in [-1, 1] and draw
randomness only from the ``numpy.random.Generator`` they are given, so a seeded
generator gives the same audio every run.

SNR here means speech power *while someone is speaking* over noise power over the
whole file, in dB: silence between utterances does not dilute the speech side,
which is how speech-enhancement corpora usually state it.
"""

from __future__ import annotations

import numpy as np

RATE = 16_000


def power(x: np.ndarray, active: np.ndarray | None = None) -> float:
    """Mean square of ``x`` (over the ``active`` mask when given)."""
    x = x.astype(np.float64)
    if active is not None:
        x = x[active]
    return float(np.mean(x * x)) if len(x) else 0.0


def snr_db(speech: np.ndarray, noise: np.ndarray, active: np.ndarray | None = None) -> float:
    """Signal-to-noise ratio in dB, speech measured over ``active`` samples."""
    return 10.0 * np.log10(power(speech, active) / power(noise))


def scale_to_snr(speech: np.ndarray, noise: np.ndarray, snr: float,
                 active: np.ndarray | None = None) -> np.ndarray:
    """``noise`` scaled so that ``speech`` over it has the given SNR (dB)."""
    gain = np.sqrt(power(speech, active) / (power(noise) * 10.0 ** (snr / 10.0)))
    return (noise * gain).astype(np.float32)


def trim(x: np.ndarray, floor_db: float = -40.0, margin: float = 0.01) -> np.ndarray:
    """``x`` without leading/trailing silence (below ``floor_db`` of its peak)."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak == 0.0:
        return x[:0]
    loud = np.flatnonzero(np.abs(x) > peak * 10.0 ** (floor_db / 20.0))
    pad = int(margin * RATE)
    return x[max(0, loud[0] - pad):loud[-1] + pad + 1]


def room_impulse(rng: np.random.Generator, rt60: float, direct_to_reverb_db: float) -> np.ndarray:
    """A synthetic small-room impulse response.

    Direct sound, a handful of early reflections within 25 ms, then a diffuse tail
    of decaying noise whose energy falls 60 dB in ``rt60`` seconds.
    """
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000) = 60 dB
    tail[: int(0.004 * RATE)] = 0.0
    for _ in range(6):
        k = int(rng.uniform(0.002, 0.025) * RATE)
        tail[k] += rng.uniform(-0.6, 0.6) * 3.0
    # Soften the tail's top end a little: walls absorb highs faster.
    tail = np.convolve(tail, np.ones(3) / 3.0, mode="same")
    tail *= np.sqrt(10.0 ** (-direct_to_reverb_db / 10.0) / np.sum(tail * tail))
    ir = tail
    ir[0] = 1.0
    return ir.astype(np.float32)


def convolve(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """``x`` convolved with ``ir`` (FFT), keeping ``x``'s length."""
    n = len(x) + len(ir) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[: len(x)]
    return y.astype(np.float32)


def bandpass(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """``x`` with everything outside ``low``-``high`` Hz removed (FFT mask, soft edges)."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)
    mask = 1.0 / (1.0 + (low / np.maximum(f, 1.0)) ** 4) / (1.0 + (f / high) ** 4)
    return np.fft.irfft(spec * mask, len(x)).astype(np.float32)


def stream(rng: np.random.Generator, clips: list[np.ndarray], length: int,
           gap: tuple[float, float] = (0.1, 0.6)) -> np.ndarray:
    """One talker: random clips one after another, starting mid-clip, cut to ``length``."""
    out = np.zeros(length, np.float32)
    pos = -int(rng.uniform(0, 3.0) * RATE)  # start somewhere inside the first clip
    while pos < length:
        clip = clips[rng.integers(len(clips))]
        clip = clip / (np.sqrt(power(clip)) + 1e-9)
        a, b = max(pos, 0), min(pos + len(clip), length)
        if b > a:
            out[a:b] += clip[a - pos:b - pos]
        pos += len(clip) + int(rng.uniform(*gap) * RATE)
    return out


def babble(rng: np.random.Generator, clips: list[np.ndarray], length: int,
           talkers: int) -> np.ndarray:
    """Several other people talking at once (a party, a cafe, the neighbours)."""
    out = np.zeros(length, np.float32)
    for _ in range(talkers):
        out += stream(rng, clips, length) * np.float32(10.0 ** (rng.uniform(-4, 2) / 20.0))
    return out


def music(rng: np.random.Generator, length: int) -> np.ndarray:
    """Music-like sound: chords of harmonic tones with note envelopes, plus soft drums."""
    out = np.zeros(length, np.float32)
    root = rng.uniform(110, 220)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    pos = 0
    beat = int(rng.uniform(0.25, 0.5) * RATE)
    while pos < length:
        dur = beat * int(rng.integers(1, 4))
        t = np.arange(dur) / RATE
        env = np.minimum(t / 0.02, 1.0) * np.exp(-t * rng.uniform(1.5, 5.0))
        note = np.zeros(dur)
        for step in rng.choice(scale, size=3, replace=False):
            f0 = root * 2.0 ** ((step + 12 * rng.integers(0, 2)) / 12.0)
            for h in range(1, 5):
                if f0 * h < RATE / 2:
                    note += np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.28)) / h
        n = min(dur, length - pos)
        out[pos:pos + n] += (note * env)[:n]
        # A drum hit on each note: a short burst of low-passed noise.
        hit = min(int(0.08 * RATE), n)
        out[pos:pos + hit] += (np.convolve(rng.standard_normal(hit), np.ones(8) / 8, "same")
                               * np.exp(-np.arange(hit) / (0.015 * RATE)) * 1.5)
        pos += dur
    return out


def hum(rng: np.random.Generator, length: int) -> np.ndarray:
    """Mains hum (50 or 60 Hz and harmonics), as from a TV's power supply."""
    f0 = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(length) / RATE
    return sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 5)).astype(np.float32)


def tv(rng: np.random.Generator, clips: list[np.ndarray], length: int) -> np.ndarray:
    """TV-like noise: a soundtrack of music, band-limited dialogue and hum."""
    parts = [
        music(rng, length),
        bandpass(stream(rng, clips, length, gap=(0.05, 0.3)), 300.0, 3400.0),
        hum(rng, length),
        bandpass(rng.standard_normal(length).astype(np.float32), 200.0, 6000.0),
    ]
    weights_db = [rng.uniform(-6, 0), rng.uniform(-3, 3), rng.uniform(-30, -20), rng.uniform(-30, -22)]
    out = np.zeros(length, np.float32)
    for part, w in zip(parts, weights_db):
        out += part / (np.sqrt(power(part)) + 1e-9) * np.float32(10.0 ** (w / 20.0))
    return out


def drive(x: np.ndarray, peak: float) -> np.ndarray:
    """Shouting into a cheap microphone: scale so the peak reaches ``peak`` x full scale, clip."""
    top = float(np.max(np.abs(x))) or 1.0
    return np.clip(x * (peak / top), -1.0, 1.0).astype(np.float32)
