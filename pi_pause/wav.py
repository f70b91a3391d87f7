"""WAV files in and out, converted to what the recogniser wants.

The listener works on 16 kHz mono 16-bit audio. :func:`read` accepts any
PCM (8/16/24/32-bit) or IEEE-float WAV at any sample rate and channel count,
mixes it down and resamples it; anything else is refused with a
:class:`WavError` that says what is wrong with the file.

Only tests, ``detect`` and ``preview`` touch WAV files: the running service
never writes audio to disk.
"""

from __future__ import annotations

import stat
import struct
import wave
from pathlib import Path

import numpy as np

from pi_pause.errors import UserError

RATE = 16_000


class WavError(UserError):
    """A WAV file that cannot be used, worded for the person who gave it."""


def read(path: str | Path, rate: int = RATE) -> np.ndarray:
    """The file's audio as mono int16 samples at ``rate`` Hz."""
    samples, file_rate = read_float(path)
    return to_int16(resample(samples, file_rate, rate))


def read_float(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the file's own sample rate."""
    path = Path(path)
    check_regular(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WavError(f"{path}: no such file") from None
    except OSError as exc:
        raise WavError(f"{path}: cannot read ({exc.strerror})") from None
    fmt, body = _chunks(path, data)
    tag, channels, rate, bits = fmt
    check_format(path, fmt)
    width = bits // 8
    usable = len(body) - len(body) % (width * channels)
    if usable == 0:
        raise WavError(f"{path}: holds no audio; record or export it again")
    return decode(path, body[:usable], fmt), rate


def check_format(path: Path, fmt: tuple[int, int, int, int]) -> None:
    """Refuse a format chunk that cannot describe real audio (a damaged or hostile header)."""
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1000 or bits < 8:
        raise WavError(f"{path}: implausible format ({channels} channels, {rate} Hz, {bits} bits)")
    if not ((tag == 3 and bits in (32, 64)) or (tag == 1 and bits in (8, 16, 24, 32))):
        raise WavError(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits); "
                       "convert it to 16-bit PCM, e.g. `sox in.wav -b 16 out.wav`")


def decode(path: Path, raw: bytes, fmt: tuple[int, int, int, int]) -> np.ndarray:
    """Whole sample frames of ``raw`` as mono float32 in [-1, 1] (channels averaged)."""
    tag, channels, rate, bits = fmt
    if tag == 3 and bits in (32, 64):
        samples = np.frombuffer(raw, dtype="<f4" if bits == 32 else "<f8").astype(np.float32)
    elif tag == 1 and bits == 8:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == 1 and bits in (16, 32):
        dtype = "<i2" if bits == 16 else "<i4"
        samples = np.frombuffer(raw, dtype=dtype).astype(np.float32) / float(2 ** (bits - 1))
    elif tag == 1 and bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16))
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    else:
        raise WavError(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits); "
                       "convert it to 16-bit PCM, e.g. `sox in.wav -b 16 out.wav`")
    samples = np.nan_to_num(samples.reshape(-1, channels).mean(axis=1))
    return np.clip(samples, -1.0, 1.0)


def check_regular(path: Path) -> None:
    """Refuse what is not a plain file: a FIFO or a device would block or never end."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise WavError(f"{path}: no such file") from None
    except OSError as exc:
        raise WavError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe or a device)"
        raise WavError(f"{path}: {kind}; give a WAV file, e.g. save the recording first")


def _chunks(path: Path, data: bytes) -> tuple[tuple[int, int, int, int], bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path}: not a WAV file (no RIFF/WAVE header); convert it with "
                       "`sox in.ext -r 16000 -c 1 out.wav`")
    fmt, body, pos = None, None, 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        start = pos + 8
        if cid == b"fmt " and size >= 16 and start + 16 <= len(data):
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[start:start + 16])
            if tag == 0xFFFE and size >= 26 and start + 26 <= len(data):  # WAVE_FORMAT_EXTENSIBLE: real tag in the sub-format
                tag = struct.unpack("<H", data[start + 24:start + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            body = data[start:start + size]  # a truncated file keeps what it has
            break
        pos = start + size + (size & 1)
    if fmt is None:
        raise WavError(f"{path}: truncated or damaged WAV (no format chunk)")
    if body is None:
        raise WavError(f"{path}: truncated or damaged WAV (no audio data chunk)")
    return fmt, body


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Float samples converted from ``rate`` to ``target`` Hz."""
    if rate == target:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples.astype(np.float32), rate, target).astype(np.float32)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, clipped rather than wrapped."""
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def write(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    """Write mono samples (int16, or float in [-1, 1]) as a 16-bit PCM WAV."""
    if samples.dtype != np.int16:
        samples = to_int16(samples)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())


def frames(samples: np.ndarray, size: int):
    """Consecutive blocks of ``size`` samples (the last one may be shorter)."""
    for start in range(0, len(samples), size):
        yield samples[start:start + size]


def check_writable(out) -> None:
    """Refuse an output file in a folder that is not there, before any work is done."""
    folder = Path(out).resolve().parent
    if not folder.is_dir():
        raise UserError(f"{out}: cannot write there (no folder {folder}); pick a folder that exists")
