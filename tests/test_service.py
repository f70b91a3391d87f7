"""``pi-pause run`` wiring: the whole service in simulation, on a machine with no hardware.

The service is given stand-ins that satisfy the parts' Protocols
(:mod:`pi_pause.service.parts`): a spotter that fires on cue, a scripted
microphone and scripted sessions; the controller, button,
keyboard, LED printing, check-in timer, control socket and sd_notify are all real.
"""

from __future__ import annotations

import dataclasses

import io
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pi_pause import config
from pi_pause.wallclock import ManualClock
from pi_pause.service.control_socket import request
from pi_pause.service.controller import State
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from tests.standins import ScriptedSessions, eventually, stand_in_parts
from tests.test_listener import CountingSpotter, ScriptedMic

LONDON = ZoneInfo("Europe/London")


class SlowToPrepare(ScriptedSessions):
    """Sessions whose clips take a while to render at start-up (the first run on a Pi)."""

    prepare_seconds = 0.0

    def prepare(self, prune=True, stop=None, progress=None):
        end = time.monotonic() + self.prepare_seconds
        while time.monotonic() < end and not (stop is not None and stop.is_set()):
            time.sleep(0.01)


@pytest.fixture
def service(tmp_path):
    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                            f'socket = "{tmp_path / "control.sock"}"\n'
                            '[checkin]\ntime = "21:00"\n')
    sessions, mic = SlowToPrepare(), ScriptedMic()
    parts = stand_in_parts(spotter=CountingSpotter(), mic=mic, sessions=sessions)
    notify_path = tmp_path / "notify"
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(notify_path))
    systemd.settimeout(3)
    read_end, write_end = os.pipe()
    keys = os.fdopen(write_end, "w", buffering=1)
    out = io.StringIO()
    clock = ManualClock(datetime(2026, 6, 3, 20, 50, tzinfo=LONDON))
    svc = Service(settings, Options(simulate=True), parts=parts, clock=clock,
                  notifier=Notifier(str(notify_path)), out=out,
                  keyboard=os.fdopen(read_end)).start()
    yield SimpleNamespace(svc=svc, sessions=sessions, mic=mic, systemd=systemd, keys=keys,
                          out=out, clock=clock, socket=tmp_path / "control.sock")
    svc.stop()
    keys.close()
    systemd.close()


def notifications(systemd: socket.socket) -> list[str]:
    got = []
    systemd.settimeout(0.2)
    try:
        while True:
            got.append(systemd.recv(4096).decode())
    except TimeoutError:
        return got


def test_service_tells_systemd_it_is_ready_and_serves_status(service):
    sent = notifications(service.systemd)
    assert "READY=1\nSTATUS=listening with counting" in sent
    assert "WATCHDOG=1" in sent
    status = request(service.socket, "status")
    assert status["state"] == "idle"
    assert status["microphone"] == "unavailable"  # this machine has none; retried meanwhile
    assert status["next_checkin"] == "2026-06-03T21:00+01:00"
    assert "STATUS=idle; microphone unavailable, retrying" in sent
    assert status["message"] == "idle; microphone unavailable, retrying"  # as --json says
    service.mic.present.set()
    eventually(lambda: request(service.socket, "status")["microphone"] == "listening")
    assert "STATUS=idle, listening" in notifications(service.systemd)


def test_enter_pauses_the_led_is_printed_and_h_stops_everything(service):
    out, svc = service.out, service.svc
    assert "[button] press Enter for a short press" in out.getvalue()
    service.keys.write("\n")
    eventually(lambda: svc.controller.state is State.ON_BREAK)
    assert "[LED] on\n" in out.getvalue() and "[LED] slow dim pulse\n" in out.getvalue()
    assert service.sessions.kinds() == ["pause"]
    service.keys.write("h\n")
    eventually(lambda: svc.controller.state is State.IDLE, timeout=4)
    assert out.getvalue().endswith("[LED] off\n")


def test_checkin_comes_at_its_time_and_status_reaches_systemd(service):
    service.clock.set(datetime(2026, 6, 3, 21, 0, tzinfo=LONDON))
    eventually(lambda: service.sessions.kinds() == ["checkin"])
    eventually(lambda: any(m.startswith("STATUS=nightly check-in")
                           for m in notifications(service.systemd)))


def test_trigger_over_the_socket_then_stop_shuts_down_cleanly(service):
    assert request(service.socket, "pause")["message"] == "pause started"
    eventually(lambda: service.svc.controller.state is State.ON_BREAK)
    service.clock.advance(timedelta(minutes=20).total_seconds())
    eventually(lambda: service.sessions.kinds() == ["pause", "return"])
    service.svc.stop()
    assert "STOPPING=1" in notifications(service.systemd)
    assert not service.socket.exists()


def test_a_slow_model_load_keeps_systemd_patient_until_ready(tmp_path, monkeypatch):
    import dataclasses

    import pi_pause.service.wiring as service_module

    monkeypatch.setattr(service_module, "KEEPALIVE_SECONDS", 0.05)
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(tmp_path / "notify"))
    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                            f'socket = "{tmp_path / "control.sock"}"\n')

    def slow_spotter(settings):  # a speech model that takes a while to load (a Pi)
        time.sleep(0.3)
        return CountingSpotter()

    parts = dataclasses.replace(stand_in_parts(spotter=None, mic=ScriptedMic(),
                                               sessions=ScriptedSessions()),
                                open_spotter=slow_spotter)
    svc = Service(settings, Options(simulate=True), parts=parts, notifier=Notifier(
        str(tmp_path / "notify")), out=io.StringIO(), keyboard=io.StringIO("")).start()
    try:
        sent = notifications(systemd)
    finally:
        svc.stop()
        systemd.close()
    ready = sent.index("READY=1\nSTATUS=listening with counting")
    assert sent[0] == "STATUS=loading the speech model"
    keepalives = [m for m in sent[:ready] if m.startswith("WATCHDOG=1\nEXTEND_TIMEOUT_USEC=")]
    assert len(keepalives) >= 3


@pytest.fixture
def reloadable(tmp_path):
    """A running service whose settings file the test edits, then asks it to reload."""
    path = tmp_path / "config.toml"
    base = (f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
            f'socket = "{tmp_path / "control.sock"}"\n')
    path.write_text(base + '[checkin]\ntime = "21:00"\n')
    spotters = []

    def open_spotter(settings):
        spotters.append((settings.listen.phrases, CountingSpotter()))
        return spotters[-1][1]

    sessions = []

    def make_sessions(settings, player, light, **kw):
        sessions.append((settings, ScriptedSessions()))
        return sessions[-1][1]

    parts = dataclasses.replace(stand_in_parts(spotter=None, mic=ScriptedMic(), sessions=None),
                                open_spotter=open_spotter, make_sessions=make_sessions)
    clock = ManualClock(datetime(2026, 6, 3, 20, 50, tzinfo=LONDON))
    svc = Service(config.load(path), Options(simulate=True, config=path), parts=parts, clock=clock,
                  notifier=Notifier(""), out=io.StringIO(), keyboard=io.StringIO("")).start()
    yield SimpleNamespace(svc=svc, path=path, base=base, spotters=spotters, sessions=sessions,
                          socket=tmp_path / "control.sock")
    svc.stop()


def test_reload_moves_the_checkin_and_changes_the_break_without_a_restart(reloadable):
    r = reloadable
    assert request(r.socket, "status")["next_checkin"] == "2026-06-03T21:00+01:00"
    r.path.write_text(r.base + '[checkin]\ntime = "21:30"\ndays = ["thu"]\n[pause]\nbreak_minutes = 25\n')
    reply = request(r.socket, "reload")
    assert reply == {"ok": True, "message": "settings reloaded"}
    assert request(r.socket, "status")["next_checkin"] == "2026-06-04T21:30+01:00"
    eventually(lambda: r.svc.controller.pause.break_minutes == 25)
    settings, fresh = r.sessions[-1]
    assert len(r.sessions) == 2 and settings.pause.break_minutes == 25
    # the next pause speaks with the new settings, once their clips are ready
    eventually(lambda: r.svc.controller.runner.sessions is fresh)
    assert len(r.spotters) == 1  # the phrases did not change: the model is not loaded again


def test_reload_refuses_a_bad_file_in_one_line_and_keeps_the_running_settings(reloadable):
    r = reloadable
    r.path.write_text(r.base + '[checkin]\ntime = "9pm"\n')
    reply = request(r.socket, "reload")
    assert not reply["ok"]
    assert reply["error"] == (f'{r.path}: [checkin] time = "9pm" is not allowed; '
                              'use a 24-hour time like "21:00"')
    assert request(r.socket, "status")["next_checkin"] == "2026-06-03T21:00+01:00"
    assert r.svc.settings.checkin.time == "21:00"


def test_reload_listens_for_new_phrases_from_the_next_frame(reloadable):
    r = reloadable
    first = r.svc.listener.spotter
    r.path.write_text(r.base + '[listen]\nphrases = ["time for a break"]\n')
    assert request(r.socket, "reload")["ok"]
    assert [p for p, _ in r.spotters] == [("let's take a pause",), ("time for a break",)]
    assert r.svc.listener.spotter is r.spotters[-1][1]
    assert first.closed


def test_pins_changed_in_the_file_wait_for_a_restart(reloadable):
    r = reloadable
    r.path.write_text(r.base + '[gpio]\nled_pin = 12\n')
    reply = request(r.socket, "reload")
    assert reply == {"ok": True, "message": "settings reloaded; [gpio] take effect at the next restart"}


def test_a_new_voice_keeps_the_old_one_speaking_until_its_clips_are_rendered(reloadable):
    r = reloadable
    first = r.svc.controller.runner.sessions
    rendering = threading.Event()

    class SlowVoice(ScriptedSessions):
        def prepare(self, prune=True, stop=None):
            assert not prune  # the clips of the voice in force must stay
            rendering.wait(5)

    slow = SlowVoice()
    r.svc.parts = dataclasses.replace(r.svc.parts, make_sessions=lambda s, player, light, **kw: slow)
    r.path.write_text(r.base + '[checkin]\ntime = "21:00"\n[voice]\nmodel = "heart"\n')
    reply = request(r.socket, "reload")
    assert reply["message"] == "settings reloaded; the new voice speaks once its clips are rendered"
    time.sleep(0.1)
    assert r.svc.controller.runner.sessions is first  # still rendering: the old voice speaks
    rendering.set()
    eventually(lambda: r.svc.controller.runner.sessions is slow)


def test_a_voice_that_cannot_speak_is_refused_in_one_line_and_the_old_one_speaks_on(reloadable):
    r = reloadable
    first = r.svc.controller.runner.sessions
    gone = r.path.parent / "gone.onnx"
    r.path.write_text(r.base + f'[voice]\nmodel = "{gone}"\n')
    reply = request(r.socket, "reload")
    assert reply == {"ok": False, "error": f"{gone}: no such Piper voice file; set [voice] model "
                                           'to an .onnx voice, or to "joe" or "heart"'}
    assert r.svc.settings.voice.model == "" and r.svc.controller.runner.sessions is first


def test_the_first_start_listens_and_pauses_while_the_clips_still_render(tmp_path, monkeypatch):
    """Rendering every clip takes minutes the first time; the service does not wait for it."""
    monkeypatch.setattr(SlowToPrepare, "prepare_seconds", 30)
    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                            f'socket = "{tmp_path / "control.sock"}"\n'
                            '[checkin]\nenabled = false\n')  # 21:00-21:30 would start with it
    sessions = SlowToPrepare()
    parts = stand_in_parts(spotter=CountingSpotter(), mic=ScriptedMic(), sessions=sessions)
    started = time.monotonic()
    svc = Service(settings, Options(simulate=True), parts=parts, notifier=Notifier(""),
                  out=io.StringIO(), keyboard=io.StringIO("")).start()
    try:
        assert time.monotonic() - started < 5
        assert request(tmp_path / "control.sock", "pause")["message"] == "pause started"
        eventually(lambda: svc.controller.state is State.ON_BREAK)
    finally:
        stopping = time.monotonic()
        svc.stop()
    assert time.monotonic() - stopping < 3  # the render is told to stop, not awaited 30 s


@pytest.fixture
def real_ear(tmp_path):
    """A service with the real ear (spotter.open_spotter) on a settings file the test edits;
    start it with ``start(phrases)``."""
    from pi_pause.ear import spotter

    path = tmp_path / "config.toml"
    base = (f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
            f'socket = "{tmp_path / "control.sock"}"\n'
            f'[listen]\nvosk_model = "{tmp_path / "no-vosk"}"\n')
    parts = dataclasses.replace(stand_in_parts(spotter=None, mic=ScriptedMic(), sessions=ScriptedSessions()),
                                open_spotter=lambda settings: spotter.open_spotter(settings, live=True))
    services = []

    def start(phrases: str, checkin: str = "21:00") -> Service:
        path.write_text(base + f"phrases = {phrases}\n[checkin]\ntime = \"{checkin}\"\n")
        clock = ManualClock(datetime(2026, 6, 3, 20, 50, tzinfo=LONDON))
        services.append(Service(config.load(path), Options(simulate=True, config=path), parts=parts,
                                clock=clock, notifier=Notifier(""), out=io.StringIO(),
                                keyboard=io.StringIO("")).start())
        return services[-1]

    def rewrite(phrases: str, checkin: str = "21:00") -> None:
        path.write_text(base + f"phrases = {phrases}\n[checkin]\ntime = \"{checkin}\"\n")

    yield SimpleNamespace(start=start, rewrite=rewrite, socket=tmp_path / "control.sock")
    for svc in services:
        svc.stop()


def test_a_phrase_the_ear_cannot_use_leaves_the_service_deaf_but_running(real_ear):
    # After a reboot with such a file, the button, light, voice and check-in must still work.
    svc = real_ear.start('["xyzzy plugh"]')
    status = request(real_ear.socket, "status")
    why = "phrase word 'xyzzy' (in 'xyzzy plugh') is not in the PocketSphinx dictionary; pick everyday words"
    assert status["not_listening"] == why and status["microphone"] == "not listening"
    assert status["message"] == f"idle; not listening: {why}"
    assert status["next_checkin"] == "2026-06-03T21:00+01:00"
    assert request(real_ear.socket, "pause")["ok"]
    eventually(lambda: svc.controller.status()["state"] in ("pausing", "on_break"))
    request(real_ear.socket, "stop")
    # A phrase it can hear, saved later, starts the listening without a restart.
    real_ear.rewrite('["pause the pause"]')
    assert request(real_ear.socket, "reload", timeout=60) == {"ok": True, "message": "settings reloaded"}
    status = request(real_ear.socket, "status")
    assert "not_listening" not in status and "not listening" not in status["message"]
    assert svc.listener is not None and svc.listener.spotter is svc.spotter


def test_a_reload_with_a_phrase_the_ear_cannot_use_takes_up_the_rest_and_keeps_listening(real_ear):
    svc = real_ear.start('["time for a break"]')
    listening = svc.spotter
    real_ear.rewrite('["xyzzy plugh"]', checkin="21:30")
    reply = request(real_ear.socket, "reload", timeout=60)
    assert not reply["ok"]
    assert reply["error"] == ("settings reloaded, but not the phrase: phrase word 'xyzzy' (in 'xyzzy plugh') is "
                              "not in the PocketSphinx dictionary; pick everyday words; still listening for "
                              "the previous phrase")
    assert request(real_ear.socket, "status")["next_checkin"] == "2026-06-03T21:30+01:00"
    assert svc.spotter is listening and svc.listener.spotter is listening
    # The bad phrase still in the file never blocks a later change.
    real_ear.rewrite('["xyzzy plugh"]', checkin="21:45")
    request(real_ear.socket, "reload", timeout=60)
    assert request(real_ear.socket, "status")["next_checkin"] == "2026-06-03T21:45+01:00"
