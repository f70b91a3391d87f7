"""The microphone: 16 kHz mono int16 frames from sounddevice, through a bounded queue.

PortAudio calls :meth:`Microphone._callback` on its own real-time thread. That
callback only copies the block into a queue: it never decodes, blocks or logs,
because anything slow there makes the sound card drop audio. When the queue is
full (the decoder fell behind) the oldest frame is dropped: for a phrase spotter
fresh audio matters more than complete audio.

Example::

    with Microphone() as mic:
        while (frame := mic.read(timeout=1.0)) is not None:
            ...

Nothing here writes audio anywhere.
"""

from __future__ import annotations

import queue

import numpy as np

from pi_pause import config
from pi_pause.errors import UserError

RATE = 16_000
QUEUE_SECONDS = 5.0


class MicrophoneUnavailable(UserError):
    """No microphone to open, or the one in use went away."""


def _unavailable(device: str, why: str) -> MicrophoneUnavailable:
    which = f"microphone {device!r}" if device else "microphone"
    return MicrophoneUnavailable(
        f"no {which} available ({why}); plug one in or set [listen] input_device, "
        "or test the phrase on a recording with `pi-pause detect FILE.wav`")


class Microphone:
    """A sounddevice input stream at 16 kHz int16 mono, read frame by frame."""

    def __init__(self, device: str = "", frame_ms: int = 100):
        self.device = device
        self.frame_samples = RATE * frame_ms // 1000
        self._queue: queue.Queue[np.ndarray] = queue.Queue(
            maxsize=max(1, int(QUEUE_SECONDS * 1000 / frame_ms)))
        self._stream = None

    def __enter__(self) -> Microphone:
        try:
            import sounddevice as sd
        except OSError as exc:  # PortAudio itself missing
            raise _unavailable(self.device, f"PortAudio not found: {exc}") from None
        device = config.sound_device(self.device)
        try:
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=RATE)
            self._stream = sd.InputStream(device=device, channels=1, dtype="int16",
                                          samplerate=RATE, blocksize=self.frame_samples,
                                          callback=self._callback)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise _unavailable(self.device, _reason(exc)) from None
        return self

    def _callback(self, indata, frames, time, status) -> None:
        # Runs on PortAudio's thread: copy, enqueue, return. No logging, no waiting.
        block = indata[:, 0].copy()
        while True:
            try:
                self._queue.put_nowait(block)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def read(self, timeout: float) -> np.ndarray | None:
        """The next frame, or None if none came within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            if self._stream is None or not self._stream.active:
                raise _unavailable(self.device, "the input stream stopped") from None
            return None

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # closing a vanished device: nothing left to release
                pass
            self._stream = None


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "querying device -1" in text or "No Default Input" in text:
        return "no sound input device found"
    return text.splitlines()[0] if text else type(exc).__name__
