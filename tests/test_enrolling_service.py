"""Enrollment through the running service: the takes come from its own microphone.

The service is the real one in simulation (controller, control socket, listener, LED on
gpiozero's mock pins, the real Whisper verifier judging each take); at the hardware
edge a person stands at the microphone and says their next line whenever the LED
lights, as the cue asks ("say your phrase after the tone").
"""

from __future__ import annotations

import dataclasses
import io
import stat
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pi_pause import config, wav
from pi_pause.service.control_socket import request
from pi_pause.service.controller import State
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from pi_pause.wallclock import ManualClock
from tests import speech
from tests.conftest import run_cli
from tests.standins import MockLight, ScriptedSessions, StandInMic, eventually, stand_in_parts
from tests.test_listener import CountingSpotter

FRAME = 1600  # 100 ms
PACE = 2.5  # the person's audio arrives 2.5 times faster than it was said: a shorter test
LEAD_SECONDS = 1.5  # of silence after the LED lights, before they speak (0.6 s of the test's time)


class PersonAtTheMicrophone(StandInMic):
    """A microphone in a quiet room where someone says their next line once the device has
    given its cue ("say your phrase after the tone") and its LED is lit; a pause's light
    is not a cue."""

    def __init__(self, lines: list[np.ndarray], sessions: ScriptedSessions) -> None:
        self.lines = list(lines)
        self.sessions = sessions
        self.light: MockLight | None = None
        self.spoken = 0
        self._answered = 0  # cues answered
        self._playing = np.zeros(0, np.int16)

    def read(self, timeout):
        time.sleep(FRAME / 16_000 / PACE)
        lit = self.light is not None and self.light.value > 0
        cues = sum(1 for kind, how in list(self.sessions.finished) if (kind, how) == ("enroll", "done"))
        if lit and cues > self._answered and self.lines:
            self._answered = cues
            line = self.lines.pop(0)
            self._playing = wav.to_int16(np.concatenate([speech.silence(LEAD_SECONDS), line]))
            self.spoken += 1
        frame = np.zeros(FRAME, np.int16)
        part, self._playing = self._playing[:FRAME], self._playing[FRAME:]
        frame[:len(part)] = part
        return frame


def good(pace: float) -> np.ndarray:
    return speech.english(speech.PHRASE, pace) * 0.5


@pytest.fixture
def running(tmp_path, enrollment_cache):
    conf = tmp_path / "config.toml"
    conf.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\ncache_dir = "{enrollment_cache}"\n'
                    f'socket = "{tmp_path / "control.sock"}"\n')
    settings = config.load(conf)
    sessions = ScriptedSessions()
    person = PersonAtTheMicrophone([good(1.0), good(1.0) * 0.004, good(1.1), good(1.2),
                                    good(0.9), good(1.05), good(1.15)], sessions)
    parts = stand_in_parts(spotter=CountingSpotter(), mic=person, sessions=sessions)

    def make_light(pin, factory):
        person.light = MockLight(factory, pin)
        return person.light

    parts = dataclasses.replace(parts, make_light=make_light)
    svc = Service(settings, Options(simulate=True, config=conf), parts=parts,
                  clock=ManualClock(datetime(2026, 6, 3, 18, 0, tzinfo=ZoneInfo("Europe/London"))),
                  notifier=Notifier(""), out=io.StringIO(), keyboard=io.StringIO()).start()
    eventually(lambda: svc.listener.available.is_set(), timeout=5)
    yield svc, person, sessions, tmp_path
    svc.stop()


def test_takes_are_recorded_judged_and_learnt_and_the_ear_is_swapped_without_a_restart(running):
    svc, person, sessions, tmp = running
    sock = tmp / "control.sock"
    first = request(sock, "enroll-take Sam", timeout=30)
    assert first["ok"] and first["good_take"], first
    assert first["takes"] == 1 and first["plain"] == "Got it: that was a good take."
    assert person.spoken == 1 and sessions.kinds() == ["enroll"]  # the cue, then the light, then them
    assert person.light.value == 0 and svc.controller.state is State.IDLE

    quiet = request(sock, "enroll-take Sam", timeout=30)
    assert quiet["ok"] and not quiet["good_take"] and quiet["takes"] == 1
    assert quiet["plain"] == "That was too quiet: say it again a little closer."

    assert request(sock, "pause")["ok"]
    refused = request(sock, "enroll-take Sam", timeout=30)
    assert not refused["ok"] and refused["error"] == "a pause is in progress; record the take afterwards"
    assert person.spoken == 2  # nobody was asked to speak
    request(sock, "stop")
    eventually(lambda: svc.controller.state is State.IDLE)

    early = request(sock, "enroll-finish Sam", timeout=30)
    assert not early["ok"] and "record at least 3" in early["error"]
    for _ in range(2):
        assert request(sock, "enroll-take Sam", timeout=30)["good_take"]
    old_spotter = svc.spotter
    done = request(sock, "enroll-finish Sam", timeout=120)
    assert done["ok"] and done["message"] == "enrolled Sam (3 takes); listening for Sam's voice now", done
    assert svc.spotter is old_spotter and svc.enrolled == 1  # rebuilt by the stand-in factory, swapped in
    kept = tmp / "state" / "enrolled" / "sam.npz"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert request(sock, "status")["enrolled"] == 1
    listed = request(sock, "enrolled")
    assert listed["people"] == [{"name": "Sam", "takes": 3, "used": True, "why_not": ""}]
    assert listed["pending"] == {}  # the takes are gone from memory


def test_the_command_line_enrolls_through_the_service_then_forgets(running):
    svc, person, sessions, tmp = running
    conf = str(tmp / "config.toml")
    result = run_cli("--config", conf, "phrase", "enroll", "--speaker", "Alex", "--takes", "3", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "take 1 of 3: say the phrase after the tone ..."
    assert [line[:4] for line in lines if not line.startswith(("take", "learning"))][:4] == \
        ["ok  ", "FAIL", "ok  ", "ok  "]
    assert lines[-1] == "enrolled Alex (3 takes); listening for Alex's voice now"
    assert svc.enrolled == 1
    forget = run_cli("--config", conf, "phrase", "forget", "--speaker", "alex")
    assert forget.stdout.splitlines() == ["forgot Alex: their numbers are deleted",
                                          "the service listens for 0 enrolled voice(s) now"]
    assert svc.enrolled == 0


def test_a_press_during_a_take_starts_a_pause_and_the_take_is_dropped(running):
    svc, person, sessions, tmp = running
    sessions.hold.add("enroll")  # the cue is still being said when the press comes
    answer = {}
    asking = threading.Thread(target=lambda: answer.update(request(tmp / "control.sock", "enroll-take Sam",
                                                                     timeout=30)))
    asking.start()
    eventually(lambda: svc.controller.state is State.ENROLLING)
    svc.button.pin.drive_low()
    svc.button.pin.drive_high()
    asking.join(timeout=30)
    assert not answer["ok"] and "cut short" in answer["error"] and answer["plain"] == "The take was stopped."
    assert svc.controller.state in (State.PAUSING, State.ON_BREAK)  # the press meant "pause"
    assert request(tmp / "control.sock", "enrolled")["pending"] == {}


def test_cancel_ends_a_take_in_progress_at_once(running):
    svc, person, sessions, tmp = running
    sessions.hold.add("enroll")
    answer = {}
    asking = threading.Thread(target=lambda: answer.update(request(tmp / "control.sock", "enroll-take Sam",
                                                                     timeout=30)))
    asking.start()
    eventually(lambda: svc.controller.state is State.ENROLLING)
    assert request(tmp / "control.sock", "enroll-cancel")["ok"]
    asking.join(timeout=10)
    assert not answer["ok"] and svc.controller.state is State.IDLE and person.light.value == 0
