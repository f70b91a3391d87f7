"""A soft chime, synthesised (no sample files): the cue that the break is over.

Two struck partials a fifth apart, a slightly detuned shimmer and a long
exponential decay, struck twice: noticeable in the next room, never alarming.
It is levelled like every spoken clip (:mod:`pi_pause.voice.loudness`), so it is
exactly as loud as the voice::

    samples = chime(22050)     # int16, about 3.5 seconds
"""

from __future__ import annotations

import numpy as np

from pi_pause.voice.loudness import level

_NOTES = ((523.25, 1.0), (784.0, 0.45), (1046.5, 0.18))  # C5, G5, C6 and their weights
_STRIKES = (0.0, 0.9)  # seconds: a second, quieter strike


def chime(rate: int, seconds: float = 3.5) -> np.ndarray:
    """The chime as mono int16 samples at ``rate`` Hz."""
    t = np.arange(int(rate * seconds)) / rate
    out = np.zeros_like(t)
    for strike, start in enumerate(_STRIKES):
        local = t - start
        on = local >= 0
        attack = np.clip(local / 0.008, 0.0, 1.0)  # 8 ms: soft, no click
        decay = np.exp(-local * (1.6 + 0.6 * strike))
        tone = sum(w * (np.sin(2 * np.pi * f * local) + 0.3 * np.sin(2 * np.pi * (f + 1.5) * local))
                   for f, w in _NOTES)
        out += np.where(on, attack * decay * tone, 0.0) * (0.6 if strike else 1.0)
    tail = int(0.05 * rate)  # fade the very end to zero
    out[-tail:] *= np.linspace(1.0, 0.0, tail)
    out = level(out / max(np.max(np.abs(out)), 1e-9), rate)
    return np.round(np.clip(out, -1.0, 1.0) * 32767).astype(np.int16)
