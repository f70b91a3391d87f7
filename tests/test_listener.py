"""The listener survives the microphone coming and going; the hardware stand-ins behave.

The microphone here is a scripted source (the hardware edge): it can be missing,
deliver frames, or die mid-stream, exactly the ways a USB microphone fails.
"""

from __future__ import annotations

import io
import queue
import threading
import time
import wave

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

import pi_pause.ear.listener as listener_module
from pi_pause import wav
from pi_pause.service.button import PauseButton
from pi_pause.wallclock import ManualClock
from pi_pause.config import PauseSettings
from pi_pause.service.controller import Controller, State
from pi_pause.echo import EchoGuard
from pi_pause.errors import UserError
from pi_pause.events import ButtonHeld, ButtonPressed, PhraseHeard
from pi_pause.ear.listener import EndOfInput, Listener
from pi_pause.voice.retrying_player import RetryingPlayer
from pi_pause.service.simulation import Keyboard, ShownLight, SilentSpeaker, WavInput
from tests.standins import MockLight, ScriptedSessions, StandInMic, eventually

FRAME = np.zeros(1600, dtype=np.int16)


class Unplugged(UserError):
    """What pi_pause.ear.microphone raises: MicrophoneUnavailable is a UserError too."""


class ScriptedMic(StandInMic):
    """A microphone that is absent, present or dies, as the test scripts it."""

    def __init__(self) -> None:
        self.present = threading.Event()
        self.opens = 0

    def open(self):
        if not self.present.is_set():
            raise Unplugged("no microphone found; plug one in")
        self.opens += 1
        return self

    def read(self, timeout):
        if not self.present.is_set():
            raise Unplugged("the microphone stopped delivering audio")
        time.sleep(0.005)
        return FRAME


class CountingSpotter:
    """Stand-in for pi_pause.ear.spotter.PhraseSpotter: counts frames, fires on request."""

    engine_name = "counting"

    def __init__(self) -> None:
        self.frames = 0
        self.resets = 0
        self.closed = False
        self.fire = threading.Event()

    def finish(self):
        return None

    def feed(self, frame):
        self.frames += 1
        if self.fire.is_set():
            self.fire.clear()
            return PhraseHeard("let's take a pause", self.frames * 0.1)
        return None

    def reset(self):
        self.resets += 1

    def close(self):
        self.closed = True


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(listener_module, "FIRST_RETRY_SECONDS", 0.01)
    monkeypatch.setattr(listener_module, "MAX_RETRY_SECONDS", 0.04)


def test_missing_microphone_is_logged_once_and_listening_resumes_when_it_returns(caplog):
    caplog.set_level("INFO")
    mic, spotter, inbox = ScriptedMic(), CountingSpotter(), queue.Queue()
    listener = Listener(mic.open, spotter, EchoGuard(tail_seconds=0), inbox.put).start()
    try:
        time.sleep(0.3)  # many retries meanwhile
        assert caplog.text.count("microphone unavailable, retrying until it is back: "
                                 "no microphone found; plug one in") == 1
        assert spotter.frames == 0 and not listener.available.is_set()
        mic.present.set()
        eventually(lambda: spotter.frames > 5)
        assert "microphone is back; listening again" in caplog.text
        mic.present.clear()  # unplugged mid-stream
        eventually(lambda: not listener.available.is_set())
        frames = spotter.frames
        time.sleep(0.2)
        assert spotter.frames == frames
        assert caplog.text.count("retrying until it is back") == 2  # once per outage
        mic.present.set()
        eventually(lambda: spotter.frames > frames)
        spotter.fire.set()
        assert isinstance(inbox.get(timeout=2), PhraseHeard)
    finally:
        listener.stop()
    assert mic.opens == 2


def test_button_and_pause_keep_working_while_the_microphone_is_missing(caplog):
    factory = MockFactory(pin_class=MockPWMPin)
    clock = ManualClock(__import__("datetime").datetime.now().astimezone())
    sessions, light = ScriptedSessions(), MockLight(factory)
    controller = Controller(sessions, light, PauseSettings(), clock).start()
    button = PauseButton(17, 0.5, controller.post, pin_factory=factory)
    mic = ScriptedMic()
    listener = Listener(mic.open, CountingSpotter(), controller.guard, controller.post).start()
    try:
        time.sleep(0.1)
        button.pin.drive_low()
        button.pin.drive_high()
        eventually(lambda: controller.state is State.ON_BREAK)
        assert light.mode == "pulse"
    finally:
        listener.stop()
        button.close()
        controller.stop()
        factory.close()


def test_own_voice_never_reaches_the_spotter_and_it_is_reset_after():
    mic, spotter = ScriptedMic(), CountingSpotter()
    mic.present.set()
    guard = EchoGuard(tail_seconds=0.1)
    listener = Listener(mic.open, spotter, guard, lambda e: None).start()
    try:
        eventually(lambda: spotter.frames > 2)
        guard.speaking()
        time.sleep(0.02)
        frames, resets = spotter.frames, spotter.resets
        time.sleep(0.15)
        assert spotter.frames == frames  # dropped unheard while speaking
        guard.quiet()
        time.sleep(0.05)
        assert spotter.frames == frames  # and during the echo tail
        eventually(lambda: spotter.frames > frames)
        assert spotter.resets == resets + 1
    finally:
        listener.stop()


def test_a_new_spotter_takes_over_between_frames_and_the_old_one_is_closed():
    mic, old, new = ScriptedMic(), CountingSpotter(), CountingSpotter()
    mic.present.set()
    heard = []
    listener = Listener(mic.open, old, EchoGuard(), heard.append).start()
    try:
        eventually(lambda: old.frames > 2)
        listener.replace_spotter(new)
        assert old.closed and not new.closed
        frames_then = old.frames
        eventually(lambda: new.frames > 2)
        assert old.frames == frames_then  # nothing is fed to a closed engine
        new.fire.set()
        eventually(lambda: len(heard) == 1)
    finally:
        listener.stop()


def test_a_recording_is_fed_in_real_time_then_listening_ends(tmp_path, caplog):
    caplog.set_level("INFO")
    path = tmp_path / "one-second.wav"
    wav.write(path, np.zeros(16000, dtype=np.int16), 16000)
    spotter = CountingSpotter()
    started = time.monotonic()
    listener = Listener(lambda: WavInput(path), spotter, EchoGuard(tail_seconds=0),
                        lambda e: None, "recording").start()
    assert listener.finished.wait(5)
    took = time.monotonic() - started
    assert spotter.frames == 10  # 100 ms frames
    assert 0.95 <= took < 3.0  # never faster than real time (slower only on a busy machine)
    assert "the input recording is finished" in caplog.text


def test_wav_input_converts_any_recording_and_ends_cleanly(tmp_path):
    path = tmp_path / "stereo-44k.wav"
    with wave.open(str(path), "wb") as out:  # 0.1 s of stereo at 44.1 kHz
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(np.zeros((4410, 2), dtype="<i2").tobytes())
    with WavInput(path) as source:
        frames = []
        with pytest.raises(EndOfInput):
            while True:
                frames.append(source.read(1.0))
    assert frames[0].dtype == np.int16 and frames[0].ndim == 1 and len(frames[0]) == 1600
    assert abs(sum(len(f) for f in frames) - 1600) <= 16  # 16 kHz mono, same duration


def test_keyboard_enter_is_a_short_press_and_h_a_long_press():
    factory = MockFactory()
    inbox: queue.Queue = queue.Queue()
    button = PauseButton(17, 0.5, inbox.put, pin_factory=factory)
    try:
        Keyboard(button.pin, 0.5, io.StringIO("\nh\n")).start()
        assert inbox.get(timeout=2) == ButtonPressed()
        assert inbox.get(timeout=2) == ButtonHeld()
    finally:
        button.close()
        factory.close()


def test_led_changes_are_shown_in_the_terminal_with_the_time_and_rounded_values():
    from datetime import datetime

    factory = MockFactory(pin_class=MockPWMPin)
    out = io.StringIO()
    light = ShownLight(MockLight(factory), out, now=lambda: datetime(2026, 12, 6, 21, 4, 5))
    light.on()
    light.pulse_slow()
    light.fade(0.3, 4)
    light.fade(0.6812345, 1.99968)
    light.off()
    assert out.getvalue().splitlines() == [
        "21:04:05 [LED] on", "21:04:05 [LED] slow dim pulse", "21:04:05 [LED] fade to 30% over 4.0 s",
        "21:04:05 [LED] fade to 68% over 2.0 s", "21:04:05 [LED] off"]
    assert light.value == 0
    factory.close()


def test_silent_speaker_takes_the_sound_time_and_stops_on_cancel():
    cancel = threading.Event()
    started = time.monotonic()
    SilentSpeaker().play(np.zeros(3200, dtype=np.int16), 16000, cancel)
    assert 0.18 <= time.monotonic() - started < 1.0
    threading.Timer(0.05, cancel.set).start()
    started = time.monotonic()
    SilentSpeaker().play(np.zeros(160000, dtype=np.int16), 16000, cancel)
    assert time.monotonic() - started < 0.5


class BusySpeaker:
    def __init__(self, failures: int) -> None:
        self.failures, self.played = failures, 0

    def play(self, samples, rate, cancel):
        if self.failures:
            self.failures -= 1
            raise OSError("Device unavailable [PaErrorCode -9985]")
        self.played += 1


def test_a_busy_speaker_is_retried_and_then_plays(caplog):
    speaker = BusySpeaker(failures=2)
    RetryingPlayer(speaker, waits=(0.01, 0.01, 0.01)).play(FRAME, 16000, threading.Event())
    assert speaker.played == 1
    assert caplog.text.count("speaker unavailable") == 1


def test_a_speaker_that_stays_busy_gives_up_with_its_error_and_cancel_cuts_the_wait():
    with pytest.raises(OSError, match="Device unavailable"):
        RetryingPlayer(BusySpeaker(9), waits=(0.01,)).play(FRAME, 16000, threading.Event())
    cancel = threading.Event()
    threading.Timer(0.05, cancel.set).start()
    started = time.monotonic()
    RetryingPlayer(BusySpeaker(9), waits=(5.0,)).play(FRAME, 16000, cancel)
    assert time.monotonic() - started < 0.5


def test_an_unavailable_microphone_is_said_without_nested_parentheses(caplog):
    """The real microphone, asked for a device this machine does not have."""
    from pi_pause.ear.microphone import Microphone

    caplog.set_level("INFO")
    listener = Listener(lambda: Microphone("no-such-microphone-here"), CountingSpotter(),
                        EchoGuard(tail_seconds=0), queue.Queue().put).start()
    try:
        eventually(lambda: "microphone unavailable" in caplog.text, timeout=10)
    finally:
        listener.stop()
    line = next(r.getMessage() for r in caplog.records if "microphone unavailable" in r.getMessage())
    depth = deepest = 0
    for char in line:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    assert deepest == 1 and depth == 0, line
    assert "no microphone 'no-such-microphone-here' available" in line
