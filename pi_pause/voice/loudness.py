"""One loudness for everything the couple hears.

Every clip (a spoken line, a breathing cue, the chime) is brought to the same
integrated loudness, measured as ITU-R BS.1770 describes (K-weighting, gated
400 ms blocks; the ``pyloudnorm`` package), so no line jumps out of the room
and none has to be strained for. Then the true peak (the peak between samples,
found on a 4x oversampled copy) is kept under a ceiling, so that a loud
syllable never clips on a small speaker::

    samples = level(samples, rate)       # float in [-1, 1] -> the same, at TARGET_LUFS
    loudness(samples, rate)              # about -23.0

Speech rendered by Piper peaks up to about 24 dB above its loudness (measured
on every clip of the shipped prompts), so the ceiling acts only on a few clips,
and then only for the few milliseconds around a peak: the clip keeps its
loudness, and the spread across clips stays within a fraction of a dB.
"""

from __future__ import annotations

import numpy as np

TARGET_LUFS = -23.0
"""Integrated loudness of every clip (LUFS; EBU R 128's programme level). Piper's
speech peaks up to about 24 dB above its loudness, so this leaves room under the
ceiling for nearly every clip; turn the speaker itself up for a louder room."""

CEILING_DBTP = -1.0
"""The highest true peak allowed (dB relative to full scale)."""

_BLOCK_SECONDS = 0.4  # BS.1770's gating block: a shorter clip is measured looped


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness of float samples in LUFS (BS.1770); -inf for silence.

    A clip shorter than one gating block ("In.") is measured as if looped, which
    is how it sounds in the room: a short word at the level of a long one.
    """
    import pyloudnorm

    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0 or not np.any(x):
        return float("-inf")
    need = int(np.ceil(_BLOCK_SECONDS * 1.25 * rate))
    if x.size < need:
        x = np.tile(x, need // x.size + 1)
    return float(pyloudnorm.Meter(rate).integrated_loudness(x))


def true_peak_db(samples: np.ndarray) -> float:
    """The true peak in dBTP: the highest absolute value of a 4x oversampled copy."""
    import soxr

    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return float("-inf")
    up = soxr.resample(x, 1, 4, quality="HQ") if x.size > 16 else x
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(x))))
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def level(samples: np.ndarray, rate: int, target: float = TARGET_LUFS,
          ceiling: float = CEILING_DBTP) -> np.ndarray:
    """``samples`` (float) scaled to ``target`` LUFS, turned down further only if
    their true peak would pass ``ceiling``."""
    x = np.asarray(samples, dtype=np.float32)
    measured = loudness(x, rate)
    if not np.isfinite(measured):
        return x
    y = x * np.float32(10 ** ((target - measured) / 20))
    for _ in range(3):  # each pass brings the rare syllable over the ceiling under it
        if true_peak_db(y) <= ceiling:
            break
        y = _limit(y, rate, 10 ** ((ceiling - 0.1) / 20))
    return y.astype(np.float32)


def _limit(x: np.ndarray, rate: int, peak: float) -> np.ndarray:
    """Turn down only the few milliseconds around each peak above ``peak``.

    The gain each sample needs (from a 4x oversampled copy, so peaks between
    samples count) is spread over 10 ms either side and smoothed, so the
    correction is a short, soft dip rather than a click. A word or two lose a
    fraction of a dB; the clip's loudness barely moves.
    """
    import soxr
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    up = np.abs(soxr.resample(x.astype(np.float64), 1, 4, quality="HQ"))
    worst = np.maximum(np.abs(x), up[: 4 * len(x)].reshape(-1, 4).max(axis=1)
                       if len(up) >= 4 * len(x) else np.abs(x))
    need = np.minimum(1.0, peak / np.maximum(worst, 1e-12))
    width = max(3, int(0.01 * rate) | 1)
    gain = uniform_filter1d(minimum_filter1d(need, 2 * width + 1), width)
    return (x * np.minimum(gain, need)).astype(np.float32)
