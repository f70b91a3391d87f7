"""A WAV file read a frame at a time, in bounded memory, whatever its length.

:func:`pi_pause.wav.read` holds a whole recording in memory, which is fine for a
clip and wrong for an hour of audio on a Pi. :class:`WavStream` reads the same
files (any PCM or float WAV, any rate, any channel count) block by block,
converts each block to 16 kHz mono int16 and hands out fixed-size frames, so
``pi-pause detect`` and ``pi-pause run --input`` use a few megabytes for a file
of any length::

    with WavStream("argument.wav") as stream:
        for frame in stream.frames(1600):      # 100 ms each; the last may be shorter
            ...
        print(stream.seconds, "s of audio")

A pipe or a device is refused at once (it could block forever); a damaged header
is a one-line :class:`~pi_pause.wav.WavError`.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterator

import numpy as np

from pi_pause.wav import RATE, WavError, check_format, check_regular, decode, to_int16

BLOCK_SECONDS = 1.0  # read this much of the file at a time


class WavStream:
    """An open WAV file whose audio comes out as 16 kHz mono int16 frames."""

    def __init__(self, path: str | Path, rate: int = RATE) -> None:
        self.path = Path(path)
        self.rate = rate
        self.samples = 0  # int16 samples handed out so far
        check_regular(self.path)
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise WavError(f"{self.path}: cannot read ({exc.strerror})") from None
        try:
            self.fmt, self._left = self._find_audio()
        except BaseException:
            self._file.close()
            raise

    @property
    def seconds(self) -> float:
        """Seconds of audio handed out so far."""
        return self.samples / self.rate

    def frames(self, size: int) -> Iterator[np.ndarray]:
        """Consecutive frames of ``size`` samples; the last one may be shorter."""
        pending = np.zeros(0, dtype=np.int16)
        for block in self._blocks():
            pending = np.concatenate([pending, block])
            whole = len(pending) - len(pending) % size
            for start in range(0, whole, size):
                self.samples += size
                yield pending[start:start + size]
            pending = pending[whole:]
        if len(pending):
            self.samples += len(pending)
            yield pending

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> WavStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------

    def _blocks(self) -> Iterator[np.ndarray]:
        tag, channels, file_rate, bits = self.fmt
        frame_bytes = bits // 8 * channels
        block = max(1, int(file_rate * BLOCK_SECONDS)) * frame_bytes
        resampler = None
        if file_rate != self.rate:
            import soxr

            resampler = soxr.ResampleStream(file_rate, self.rate, 1, dtype="float32")
        carry = b""
        while self._left > 0:
            raw = self._file.read(min(block, self._left))
            if not raw:
                break  # a file cut short keeps what it has
            self._left -= len(raw)
            raw = carry + raw
            usable = len(raw) - len(raw) % frame_bytes
            raw, carry = raw[:usable], raw[usable:]
            if not raw:
                continue
            samples = decode(self.path, raw, self.fmt)
            if resampler is not None:
                samples = resampler.resample_chunk(samples, last=False)
            yield to_int16(samples)
        if resampler is not None:
            yield to_int16(resampler.resample_chunk(np.zeros(0, np.float32), last=True))

    def _find_audio(self) -> tuple[tuple[int, int, int, int], int]:
        """The format chunk and how many bytes of audio follow (the file is left there)."""
        head = self._file.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavError(f"{self.path}: not a WAV file (no RIFF/WAVE header); convert it with "
                           "`sox in.ext -r 16000 -c 1 out.wav`")
        fmt = None
        while len(chunk := self._file.read(8)) == 8:
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt " and size >= 16:
                body = self._file.read(min(size, 64))
                if len(body) < 16:
                    break
                tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, channels, rate, bits)
                self._file.seek(size - len(body) + (size & 1), 1)
            elif cid == b"data":
                if fmt is None:
                    break
                check_format(self.path, fmt)
                there = os.fstat(self._file.fileno()).st_size - self._file.tell()
                if min(size, there) < fmt[3] // 8 * fmt[1]:  # not one whole sample frame
                    raise WavError(f"{self.path}: holds no audio; record or export it again")
                return fmt, size
            else:
                self._file.seek(size + (size & 1), 1)
        if fmt is None:
            raise WavError(f"{self.path}: truncated or damaged WAV (no format chunk)")
        raise WavError(f"{self.path}: truncated or damaged WAV (no audio data chunk)")
