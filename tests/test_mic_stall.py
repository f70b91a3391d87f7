"""A microphone whose stream stays open but delivers nothing is noticed and reopened.

The listener is the real one; the microphone is a stand-in at the hardware edge
whose first stream stalls (``read`` keeps timing out, as PortAudio does when a
USB microphone hangs) and whose second stream works.
"""

from __future__ import annotations

import queue
import time

import numpy as np

import pi_pause.ear.listener as listener_module
from pi_pause.echo import EchoGuard
from pi_pause.ear.listener import Listener
from tests.standins import StandInMic, eventually
from tests.test_listener import CountingSpotter

FRAME = np.zeros(1600, dtype=np.int16)


class StallingMic(StandInMic):
    """Opens fine every time; the first stream never delivers a frame."""

    def __init__(self) -> None:
        self.opens = 0

    def open(self):
        self.opens += 1
        self._stalled = self.opens == 1
        return self

    def read(self, timeout):
        time.sleep(min(timeout, 0.01))
        return None if self._stalled else FRAME


def test_a_stalled_microphone_is_reopened_and_logged_once(monkeypatch, caplog):
    caplog.set_level("INFO")
    monkeypatch.setattr(listener_module, "STALL_SECONDS", 0.2)
    monkeypatch.setattr(listener_module, "FIRST_RETRY_SECONDS", 0.01)
    mic, spotter = StallingMic(), CountingSpotter()
    listener = Listener(mic.open, spotter, EchoGuard(tail_seconds=0), queue.Queue().put).start()
    try:
        eventually(lambda: spotter.frames > 5, timeout=5)
    finally:
        listener.stop()
    assert mic.opens == 2
    assert caplog.text.count("microphone unavailable, retrying until it is back: no sound for "
                             "0.2 s although it is open; reopening it") == 1
    assert "microphone is back; listening again" in caplog.text
