"""A restart in the middle of a pause: what was said stays true.

The service runs as its own process (``tests/service_child.py``: the real
controller, control socket, LED on mock pins, check-in timer, with stand-in
hearing and speech), is killed mid-pause by SIGTERM or ``kill -9``, and a fresh
service is started on the same state folder, at the same moment or after the
announced return time.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from pi_pause import config, dirs
from pi_pause.service.control_socket import request
from pi_pause.service.controller import State
from pi_pause.service.pause_record import PauseRecord
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from pi_pause.voice.light import Light
from pi_pause.voice.player import MemorySink
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.session import Sessions
from pi_pause.voice.session_clock import FakeClock
from pi_pause.wallclock import ManualClock
from tests.conftest import ROOT
from tests.standins import ScriptedSessions, eventually, stand_in_parts
from tests.test_listener import CountingSpotter, ScriptedMic
from tests.voice_support import settings_for


def start_child(tmp_path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GPIOZERO_PIN_FACTORY="mock")
    env.pop("NOTIFY_SOCKET", None)
    child = subprocess.Popen([sys.executable, "-m", "tests.service_child", str(tmp_path / "state"),
                              str(tmp_path / "control.sock")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    return child


def pause_then(tmp_path, sig: int) -> datetime:
    """Start a pause in a service process, kill it with ``sig`` on its break; the return time."""
    child = start_child(tmp_path)
    try:
        reply = request(tmp_path / "control.sock", "pause")
        assert reply["ok"], reply
        eventually(lambda: request(tmp_path / "control.sock", "status")["state"] == "on_break",
                   timeout=5)
        child.send_signal(sig)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return datetime.fromisoformat(reply["return_time"])


def restart(tmp_path, at: datetime):
    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n'
                            f'cache_dir = "{tmp_path / "state"}"\n'
                            f'socket = "{tmp_path / "control2.sock"}"\n'
                            # no check-in: with the default 21:00, a run between 21:00 and 21:30
                            # would start with the check-in that is due and refuse the pause
                            '[checkin]\nenabled = false\n')
    sessions = ScriptedSessions()
    sessions.hold.add("return")
    parts = stand_in_parts(spotter=CountingSpotter(), mic=ScriptedMic(), sessions=sessions)
    clock = ManualClock(at)
    svc = Service(settings, Options(simulate=True), parts=parts, clock=clock,
                  notifier=Notifier(""), out=io.StringIO(), keyboard=io.StringIO("")).start()
    return svc, sessions, clock


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill -9"])
def test_a_restart_during_a_break_keeps_the_announced_return_time(tmp_path, sig):
    back = pause_then(tmp_path, sig)
    svc, sessions, clock = restart(tmp_path, datetime.now(timezone.utc).astimezone())
    try:
        eventually(lambda: svc.controller.state is State.ON_BREAK)
        status = request(tmp_path / "control2.sock", "status")
        assert datetime.fromisoformat(status["return_time"]) == back.replace(second=0)
        assert svc.light._light.mode == "pulse"  # the slow dim pulse of the break
        # The return cue comes at the time that was said, not a break-length later.
        clock.set(back - timedelta(seconds=1))
        time.sleep(0.05)
        assert sessions.kinds() == []
        clock.set(back + timedelta(seconds=1))
        eventually(lambda: sessions.kinds() == ["return"])
        assert sessions.calls[0][1].get("late") is None
    finally:
        svc.stop()
    assert list((tmp_path / "state").glob("*.tmp")) == []


def test_a_return_time_that_passed_while_down_gives_the_return_cue_at_once(tmp_path):
    back = pause_then(tmp_path, signal.SIGKILL)
    svc, sessions, _ = restart(tmp_path, back + timedelta(minutes=7))
    try:
        eventually(lambda: sessions.kinds() == ["return"])
        assert sessions.calls[0][1]["late"] is True
        assert svc.controller.state is State.RETURNING
    finally:
        svc.stop()


def test_a_pause_that_ended_is_not_resumed_after_a_restart(tmp_path):
    child = start_child(tmp_path)
    try:
        request(tmp_path / "control.sock", "pause")
        eventually(lambda: request(tmp_path / "control.sock", "status")["state"] == "on_break",
                   timeout=5)
        request(tmp_path / "control.sock", "stop")
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert not (tmp_path / "state" / "pause.json").exists()
    svc, sessions, _ = restart(tmp_path, datetime.now(timezone.utc).astimezone())
    try:
        time.sleep(0.1)
        assert svc.controller.state is State.IDLE and sessions.kinds() == []
    finally:
        svc.stop()


def test_a_damaged_pause_record_is_ignored_with_a_warning(tmp_path, caplog):
    path = tmp_path / "pause.json"
    for junk in (b"{", b"[]", b'{"return_time": 5}', b'{"return_time": "21:40"}', b"\xff\xfe"):
        path.write_bytes(junk)
        assert PauseRecord(path).load() is None
    assert "unreadable record" in caplog.text


def test_rotation_is_on_disk_before_the_session_ends(tmp_path, test_prompts, warm_cache,
                                                     monkeypatch):
    """A SIGTERM right after a session must not lose the rotation: it is saved in the
    session's own thread (which the service waits for), not in a detached one."""
    real_write = dirs.write_atomically

    def slow_write(path, data):  # an SD card that takes its time
        time.sleep(0.3)
        real_write(path, data)

    monkeypatch.setattr("pi_pause.voice.rotation.write_atomically", slow_write)
    clock = FakeClock()
    sink = MemorySink(clock=clock)
    light = Light(None, clock=clock.now, record=True)
    state = tmp_path / "rotation.json"
    sessions = Sessions(settings_for(tmp_path), sink, light, clock, prompts=test_prompts,
                        cache=warm_cache, rotation=Rotation(state, random.Random(0)))
    sessions.run("return", cancel=threading.Event(), skip=threading.Event(), context={})
    assert state.exists()


def test_a_service_with_an_unwritable_state_folder_starts_and_pauses(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = config.parse(f'[paths]\nstate_dir = "{blocker}/state"\n'
                            f'cache_dir = "{tmp_path}"\nsocket = "{tmp_path / "c.sock"}"\n'
                            # no check-in: with the default 21:00, a run between 21:00 and 21:30
                            # would start with the check-in that is due and refuse the pause
                            '[checkin]\nenabled = false\n')
    sessions = ScriptedSessions()
    parts = stand_in_parts(spotter=CountingSpotter(), mic=ScriptedMic(), sessions=sessions)
    svc = Service(settings, Options(simulate=True), parts=parts, notifier=Notifier(""),
                  out=io.StringIO(), keyboard=io.StringIO("")).start()
    try:
        assert request(tmp_path / "c.sock", "pause")["ok"]
        eventually(lambda: svc.controller.state is State.ON_BREAK)
    finally:
        svc.stop()


def test_a_start_removes_what_a_kill_left_half_written_in_the_state_folder(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (state / f"rotation.json.{dead}.tmp").write_text("{")
    (state / f"pause.json.{dead}.tmp").write_text("{")
    svc, _, _ = restart(tmp_path, datetime.now(timezone.utc).astimezone())
    svc.stop()
    assert list(state.glob("*.tmp")) == []
