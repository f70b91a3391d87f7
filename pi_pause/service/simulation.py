"""Hardware stand-ins, so ``pi-pause run`` works on a machine with no mic, speaker or GPIO.

Each one replaces a piece of hardware at the very edge and nothing else; the
service in between is the real one:

* :class:`WavInput` plays a recording into the listener in real time, like a
  microphone hearing it (``pi-pause run --input argument.wav``);
* :class:`Keyboard` turns the terminal into the button: Enter is a short press,
  ``h`` then Enter a long press (it drives gpiozero's mock pin, so the real
  :class:`~pi_pause.service.button.PauseButton` code sees the press);
* :class:`ShownLight` prints what the LED does, :class:`ShownWords` what the voice says;
* :class:`SilentSpeaker` takes as long as the sound would, and plays it nowhere.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from pi_pause import wav
from pi_pause.ear.listener import EndOfInput
from pi_pause.wav_stream import WavStream

log = logging.getLogger(__name__)

FRAME_MS = 100


class WavInput:
    """A WAV file read out frame by frame at the pace it was recorded (a fake microphone).

    The file is streamed (:class:`~pi_pause.wav_stream.WavStream`): a recording of
    any length takes a few megabytes."""

    def __init__(self, path: Path, frame_ms: int = FRAME_MS) -> None:
        self.stream = WavStream(path)  # any rate/channels -> 16 kHz mono int16; WavError if bad
        self.size = wav.RATE * frame_ms // 1000
        self.frame_seconds = frame_ms / 1000
        self._frames = self.stream.frames(self.size)
        self._index = 0
        self._start = 0.0

    def __enter__(self) -> WavInput:
        self._start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.stream.close()

    def read(self, timeout: float) -> np.ndarray | None:
        # A microphone delivers a frame only once it has been spoken: wait for its end.
        due = self._start + (self._index + 1) * self.frame_seconds
        wait = due - time.monotonic()
        if wait > timeout:
            time.sleep(timeout)
            return None
        if wait > 0:
            time.sleep(wait)
        frame = next(self._frames, None)
        if frame is None:
            raise EndOfInput()
        self._index += 1
        return frame


class Keyboard:
    """Enter = short press, 'h' + Enter = long press, on the button's mock pin."""

    def __init__(self, pin, long_press_seconds: float, stream=None) -> None:
        self.pin = pin
        self.long_press_seconds = long_press_seconds
        self.stream = stream if stream is not None else sys.stdin
        self._thread = threading.Thread(target=self._run, name="keyboard", daemon=True)

    def start(self) -> Keyboard:
        self._thread.start()
        return self

    def _run(self) -> None:
        for line in self.stream:
            if line.strip().lower().startswith("h"):
                self.press(self.long_press_seconds + 0.1)
            else:
                self.press(0.05)

    def press(self, seconds: float) -> None:
        self.pin.drive_low()
        time.sleep(seconds)
        self.pin.drive_high()


def _stamp(now: Callable[[], datetime] | None) -> str:
    return (now or datetime.now)().strftime("%H:%M:%S")


class ShownLight:
    """Wraps the real :class:`~pi_pause.voice.light.Light` and prints each change in the
    terminal, with the time: ``21:04:05 [LED] fade to 68% over 2.0 s``."""

    def __init__(self, light, out=None, now: Callable[[], datetime] | None = None) -> None:
        self._light = light
        self._out = out if out is not None else sys.stdout
        self._now = now
        self._shown = ""

    def _show(self, text: str) -> None:
        if text == self._shown:
            return  # "on" asked twice (the controller, then the script) is one change
        self._shown = text
        print(f"{_stamp(self._now)} [LED] {text}", file=self._out, flush=True)

    def on(self) -> None:
        self._light.on()
        self._show("on")

    def off(self) -> None:
        self._light.off()
        self._show("off")

    def pulse_slow(self) -> None:
        self._light.pulse_slow()
        self._show("slow dim pulse")

    def fade(self, to: float, seconds: float) -> None:
        self._light.fade(to, seconds)
        self._show(f"fade to {to:.0%} over {seconds:.1f} s")

    @property
    def value(self) -> float:
        return self._light.value


class ShownWords:
    """Prints the line the voice is saying, with the time: ``21:04:03 [voice] Okay, a
    pause.`` On a laptop there may be no speaker to hear it. These are the device's
    own words from prompts/*.toml, never anything it heard."""

    def __init__(self, out=None, now: Callable[[], datetime] | None = None) -> None:
        self._out = out if out is not None else sys.stdout
        self._now = now

    def __call__(self, words: str) -> None:
        print(f"{_stamp(self._now)} [voice] {words}", file=self._out, flush=True)


class SilentSpeaker:
    """A Player that plays nowhere but takes the sound's real duration (stops on cancel)."""

    def play(self, samples: np.ndarray, rate: int, cancel: threading.Event) -> None:
        cancel.wait(len(samples) / rate)
