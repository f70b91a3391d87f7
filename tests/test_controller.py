"""The controller's pause protocol, driven by events, on a fake clock.

Spoken sessions here come from ``ScriptedSessions``, a stand-in with the exact
``Sessions.run(kind, cancel=, skip=, context=)`` contract of pi_pause.voice.session:
a few short timed steps that honour skip and cancel. The LED is a real gpiozero
PWMLED on MockFactory pins. (Once pi_pause.voice.session is merged, the end-to-end
test in test_service.py runs the real sessions with Piper.)
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from pi_pause.wallclock import ManualClock
from pi_pause.config import PauseSettings
from pi_pause.service.control_socket import ControlServer, request
from pi_pause.service.controller import RETURN_WINDOW_SECONDS, Controller, State
from pi_pause.echo import TAIL_SECONDS
from pi_pause.events import ButtonHeld, ButtonPressed, CheckinDue, PhraseHeard
from tests.standins import MockLight, ScriptedSessions, eventually

START = datetime(2026, 6, 3, 21, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def rig():
    factory = MockFactory(pin_class=MockPWMPin)
    clock = ManualClock(START)
    sessions = ScriptedSessions()
    light = MockLight(factory)
    feeds = []
    controller = Controller(sessions, light, PauseSettings(), clock,
                            watchdog=lambda: feeds.append(time.monotonic()),
                            watchdog_interval=0.05).start()
    yield controller, sessions, light, clock, feeds
    controller.stop()
    light.led.close()
    factory.close()


def test_phrase_lights_the_led_and_announces_the_return_time(rig):
    controller, sessions, light, clock, _ = rig
    controller.post(PhraseHeard("let's take a pause", 1.0))
    eventually(lambda: sessions.calls)
    assert light.led.value == 1
    kind, context = sessions.calls[0]
    assert kind == "pause"
    assert context["return_time"] == START + timedelta(minutes=20)


def test_whole_pause_runs_breathing_break_return_and_back_to_idle(rig):
    controller, sessions, light, clock, _ = rig
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    assert light.mode == "pulse"
    assert controller.status()["message"] == "on a break until 21:20"
    clock.advance(19 * 60)
    time.sleep(0.05)
    assert controller.state is State.ON_BREAK and sessions.kinds() == ["pause"]
    clock.advance(60)
    eventually(lambda: sessions.kinds() == ["pause", "return"])
    assert light.mode == "on"
    eventually(lambda: ("return", "done") in sessions.finished)
    time.sleep(0.05)
    assert controller.state is State.RETURNING  # still time to ask for 10 more minutes
    clock.advance(RETURN_WINDOW_SECONDS)
    eventually(lambda: controller.state is State.IDLE)
    assert light.led.value == 0


def test_a_second_trigger_during_a_pause_does_not_restart_it(rig):
    controller, sessions, _, clock, _ = rig
    sessions.hold.add("pause")
    controller.post(ButtonPressed())
    eventually(lambda: sessions.calls)
    clock.advance(TAIL_SECONDS + 1)
    controller.post(PhraseHeard("let's take a pause", 2.0))
    assert controller.command("pause") == {
        "ok": False, "state": "pausing", "error": "a pause is already in progress"}
    time.sleep(0.05)
    assert sessions.kinds() == ["pause"]
    assert sessions.finished == []


def test_status_says_how_each_pause_began_never_who_and_counts_them(rig):
    controller, sessions, _, clock, _ = rig
    sessions.hold.add("pause")
    assert (controller.status()["pauses"], controller.status()["checkins"]) == (0, 0)
    for event, how in ((ButtonPressed(), "button"), (PhraseHeard("let's take a pause", 1.0), "phrase"),
                       (None, "remote")):
        controller.post(event) if event else controller.command("pause")
        eventually(lambda: controller.state is State.PAUSING)
        status = controller.status()
        assert status["started_by"] == how and "let's" not in str(status)
        controller.command("stop")
        eventually(lambda: controller.state is State.IDLE)
        clock.advance(TAIL_SECONDS + 1)  # past the echo guard: the phrase is heard again
        assert "started_by" not in controller.status()
    controller.command("checkin")
    assert (controller.status()["pauses"], controller.status()["checkins"]) == (3, 1)


def test_short_press_during_the_script_skips_to_the_next_step(rig):
    controller, sessions, _, _, _ = rig
    sessions.hold.add("pause")
    controller.post(ButtonPressed())
    eventually(lambda: sessions.calls)
    for presses in (1, 2, 3):
        controller.post(ButtonPressed())
        eventually(lambda: sessions.skipped == presses)
    eventually(lambda: controller.state is State.ON_BREAK)  # all steps skipped: the break


def test_an_early_press_in_the_break_says_the_time_left_and_does_not_end_it(rig):
    controller, sessions, light, clock, _ = rig
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    clock.advance(8 * 60)
    controller.post(ButtonPressed())
    eventually(lambda: sessions.kinds() == ["pause", "remaining"])
    assert sessions.calls[-1][1]["remaining"] == pytest.approx(12.0)  # minutes, said as "twelve"
    eventually(lambda: ("remaining", "done") in sessions.finished)
    eventually(lambda: light.mode == "pulse")  # back to the break's slow pulse
    assert controller.state is State.ON_BREAK
    assert controller.status()["message"] == "on a break until 21:20"
    clock.advance(11 * 60)
    time.sleep(0.05)
    assert sessions.kinds() == ["pause", "remaining"]  # still the break
    clock.advance(60)
    eventually(lambda: sessions.kinds() == ["pause", "remaining", "return"])


def test_a_long_press_ends_the_break_early(rig):
    controller, sessions, light, clock, _ = rig
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    clock.advance(2 * 60)
    controller.post(ButtonHeld())
    eventually(lambda: controller.state is State.IDLE)
    assert light.mode == "off"


def test_a_press_after_the_first_twenty_minutes_of_a_long_break_brings_the_return_cue(rig):
    controller, sessions, _, clock, _ = rig
    controller.pause = PauseSettings(break_minutes=60)
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    clock.advance(19 * 60)
    controller.post(ButtonPressed())
    eventually(lambda: sessions.kinds() == ["pause", "remaining"])
    assert sessions.calls[-1][1]["remaining"] == pytest.approx(41.0)
    clock.advance(2 * 60)
    controller.post(ButtonPressed())
    eventually(lambda: sessions.kinds() == ["pause", "remaining", "return"])


def test_press_at_the_return_gives_ten_more_minutes_said_with_the_new_time(rig):
    controller, sessions, light, clock, _ = rig
    sessions.hold.add("return")
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    clock.advance(20 * 60)
    eventually(lambda: sessions.kinds() == ["pause", "return"])
    controller.post(ButtonPressed())
    eventually(lambda: sessions.kinds() == ["pause", "return", "extend"])
    assert ("return", "cancelled") in sessions.finished
    kind, context = sessions.calls[-1]
    assert context["return_time"] == START + timedelta(minutes=30)  # 21:00 + 20 + 10
    assert context["extend_minutes"] == 10
    eventually(lambda: ("extend", "done") in sessions.finished)
    eventually(lambda: light.mode == "pulse")
    assert controller.state is State.ON_BREAK
    assert controller.status()["message"] == "on a break until 21:30"
    clock.advance(9 * 60)
    time.sleep(0.05)
    assert sessions.kinds() == ["pause", "return", "extend"]
    clock.advance(60)
    eventually(lambda: sessions.kinds() == ["pause", "return", "extend", "return"])


def test_long_press_stops_speech_immediately(rig):
    controller, sessions, light, _, _ = rig
    sessions.hold.add("pause")
    controller.post(ButtonPressed())
    eventually(lambda: sessions.calls)
    held_at = time.monotonic()
    controller.post(ButtonHeld())
    eventually(lambda: controller.state is State.IDLE)
    assert sessions.cancel_seen_at - held_at < 0.25  # at once (timing goals: benchmarks/)
    assert sessions.finished == [("pause", "cancelled")]
    assert light.led.value == 0


@pytest.mark.parametrize("stage", ["on_break", "returning", "checking_in"])
def test_long_press_stops_everything_from_any_state(rig, stage):
    controller, sessions, light, clock, _ = rig
    sessions.hold.update({"return", "checkin"})
    if stage == "checking_in":
        controller.post(CheckinDue())
    else:
        controller.post(ButtonPressed())
        eventually(lambda: controller.state is State.ON_BREAK)
        if stage == "returning":
            clock.advance(20 * 60)
    eventually(lambda: controller.state.value == stage)
    controller.post(ButtonHeld())
    eventually(lambda: controller.state is State.IDLE)
    assert light.led.value == 0 and light.mode == "off"
    clock.advance(30 * 60)  # and no timed step comes back to life
    time.sleep(0.05)
    assert controller.state is State.IDLE


def test_the_device_never_hears_itself(rig):
    controller, sessions, _, clock, _ = rig
    sessions.hold.add("checkin")
    controller.post(CheckinDue())
    eventually(lambda: sessions.calls)
    assert not controller.guard.is_open()
    controller.post(PhraseHeard("let's take a pause", 1.0))  # its own voice, say
    controller.post(ButtonHeld())  # ends the check-in
    eventually(lambda: controller.state is State.IDLE)
    controller.post(PhraseHeard("let's take a pause", 2.0))  # the echo tail
    time.sleep(0.05)
    assert sessions.kinds() == ["checkin"]
    clock.advance(TAIL_SECONDS)
    controller.post(PhraseHeard("let's take a pause", 3.0))  # a person, later
    eventually(lambda: sessions.kinds() == ["checkin", "pause"])


def test_checkin_is_skipped_during_a_pause_a_press_moves_it_on_and_a_long_press_ends_it(rig, caplog):
    caplog.set_level("INFO")
    controller, sessions, _, clock, _ = rig
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    controller.post(CheckinDue())
    time.sleep(0.05)
    assert "check-in skipped: a pause is in progress" in caplog.text
    controller.post(ButtonHeld())
    eventually(lambda: controller.state is State.IDLE)
    sessions.hold.add("checkin")
    controller.post(CheckinDue())
    eventually(lambda: controller.state is State.CHECKING_IN)
    controller.post(ButtonPressed())
    eventually(lambda: sessions.skipped == 1)  # the next turn, not the end
    assert controller.state is State.CHECKING_IN
    controller.post(ButtonHeld())
    eventually(lambda: controller.state is State.IDLE)
    assert sessions.finished[-1] == ("checkin", "cancelled")
    assert sessions.kinds() == ["pause", "checkin"]


def test_a_failing_session_is_logged_and_the_service_carries_on(rig, caplog):
    controller, sessions, light, clock, _ = rig
    sessions.fail.add("pause")
    controller.post(ButtonPressed())
    eventually(lambda: sessions.calls and controller.state is State.IDLE)
    assert light.led.value == 0
    assert "pause session failed (RuntimeError: output device busy); back to idle" in caplog.text
    clock.advance(TAIL_SECONDS)
    controller.post(ButtonPressed())
    eventually(lambda: controller.state is State.ON_BREAK)
    assert controller.alive


def test_a_failing_light_does_not_kill_the_controller(rig, caplog):
    controller, sessions, light, _, _ = rig
    light.on = lambda: (_ for _ in ()).throw(OSError("GPIO busy"))
    controller.post(ButtonPressed())
    eventually(lambda: "error while handling ButtonPressed (OSError: GPIO busy); back to idle"
               in caplog.text)
    assert controller.alive and controller.state is State.IDLE
    assert controller.command("status")["state"] == "idle"


def test_logs_say_what_happened_never_what_was_said(rig, caplog):
    controller, _, _, _, _ = rig
    caplog.set_level("DEBUG")
    controller.post(PhraseHeard("let's take a pause", 1.0))
    eventually(lambda: controller.state is State.ON_BREAK)
    assert "phrase detected: pause started, back together at 21:20" in caplog.text
    assert "take a pause" not in caplog.text


def test_the_watchdog_is_fed_while_the_controller_runs(rig):
    controller, _, _, _, feeds = rig
    eventually(lambda: len(feeds) >= 4)  # fed every 0.05 s; a loaded machine may take longer
    controller.stop()
    count = len(feeds)
    time.sleep(0.15)
    assert len(feeds) == count  # a dead controller stops feeding, so systemd restarts it


def test_control_socket_triggers_and_stops_a_pause(rig, tmp_path):
    controller, sessions, _, _, _ = rig
    with ControlServer(tmp_path / "control.sock", controller.command) as server:
        assert request(server.path, "status")["message"] == "idle, listening"
        started = request(server.path, "pause")
        assert started["ok"] and started["message"] == "pause started"
        assert started["return_time"] == "2026-06-03T21:20+01:00"
        assert started["seconds_left"] == 20 * 60  # on the service's clock, for the page
        eventually(lambda: controller.state is State.ON_BREAK)
        assert request(server.path, "checkin")["error"] == "a pause is in progress; try again later"
        assert request(server.path, "stop") == {"ok": True, "state": "idle", "message": "stopped"}
    assert sessions.kinds() == ["pause"]


def test_trigger_stop_when_idle_says_nothing_was_running(rig, tmp_path):
    controller, sessions, light, _, _ = rig
    with ControlServer(tmp_path / "control.sock", controller.command) as server:
        assert request(server.path, "stop") == {"ok": True, "state": "idle",
                                                "message": "nothing was running"}
    assert sessions.kinds() == [] and light.mode == "off"


def test_return_time_is_right_on_the_wall_clock_across_the_autumn_change():
    # 01:50 EDT on 2026-11-01; 20 minutes later the clocks have gone back: 01:10 EST.
    new_york = ZoneInfo("America/New_York")
    clock = ManualClock(datetime(2026, 11, 1, 1, 50, tzinfo=new_york))
    factory = MockFactory(pin_class=MockPWMPin)
    sessions = ScriptedSessions()
    controller = Controller(sessions, MockLight(factory), PauseSettings(), clock).start()
    try:
        controller.post(ButtonPressed())
        eventually(lambda: controller.state is State.ON_BREAK)
        back = sessions.calls[0][1]["return_time"]
        assert (back.hour, back.minute, back.tzname()) == (1, 10, "EST")
        assert controller.status()["message"] == "on a break until 01:10"
    finally:
        controller.stop()
        factory.close()


def test_return_time_is_said_on_five_minutes_and_the_break_lasts_exactly_until_then():
    clock = ManualClock(datetime(2026, 6, 3, 21, 3, 20, tzinfo=ZoneInfo("Europe/London")))
    factory = MockFactory(pin_class=MockPWMPin)
    sessions = ScriptedSessions()
    controller = Controller(sessions, MockLight(factory), PauseSettings(), clock).start()
    try:
        controller.post(ButtonPressed())
        eventually(lambda: controller.state is State.ON_BREAK)
        back = sessions.calls[0][1]["return_time"]
        assert (back.hour, back.minute, back.second) == (21, 25, 0)
        clock.advance(21 * 60 + 39)  # 21:24:59
        time.sleep(0.05)
        assert sessions.kinds() == ["pause"]
        clock.advance(1)
        eventually(lambda: sessions.kinds() == ["pause", "return"])
    finally:
        controller.stop()
        factory.close()


def test_a_script_longer_than_the_break_finishes_first_without_spinning(rig):
    controller, sessions, _, clock, _ = rig
    sessions.hold.add("pause")
    controller.post(ButtonPressed())
    eventually(lambda: sessions.calls)
    clock.advance(30 * 60)  # the break time passes while the script is still speaking
    cpu = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - cpu < 0.15  # waiting, not spinning
    assert controller.state is State.PAUSING
    sessions.hold.discard("pause")
    controller.post(ButtonPressed())  # skip: the script moves on and ends
    eventually(lambda: sessions.kinds() == ["pause", "return"])


def test_a_pause_cuts_a_voice_sample_at_once(rig, tmp_path):
    """"Hear a sample" must never stand between the couple and a pause."""
    controller, sessions, light, _, _ = rig
    sessions.hold.add("sample")
    with ControlServer(tmp_path / "control.sock", controller.command) as server:
        played = request(server.path, "sample")
        assert played["ok"] and played["message"] == "playing a voice sample"
        assert request(server.path, "status")["state"] == "sampling"
        started = request(server.path, "pause")
        assert started["ok"] and started["message"] == "pause started"
        assert sessions.finished[0] == ("sample", "cancelled")
        assert sessions.kinds() == ["sample", "pause"]
        eventually(lambda: controller.state is State.ON_BREAK)
        assert request(server.path, "sample")["error"] == "a pause is in progress; try the sample afterwards"


@pytest.mark.parametrize("trigger", ["press", "checkin"])
def test_a_press_or_the_check_in_cuts_a_voice_sample(rig, trigger):
    """(A phrase while the sample speaks is ignored like any phrase while the device
    speaks: the sample itself says "pause".)"""
    controller, sessions, light, _, _ = rig
    sessions.hold.add("sample")
    assert controller.command("sample")["ok"]
    eventually(lambda: sessions.kinds() == ["sample"])
    event = {"press": ButtonPressed(), "checkin": CheckinDue()}[trigger]
    controller.post(event)
    wanted = "checkin" if trigger == "checkin" else "pause"
    eventually(lambda: sessions.kinds() == ["sample", wanted])
    assert sessions.finished[0] == ("sample", "cancelled")
    assert light.led.value == 1  # the pause's (or check-in's) light, never put out by the sample


def test_a_sample_of_a_named_voice_reaches_the_script_and_an_unknown_one_is_refused(rig, tmp_path):
    controller, sessions, _, _, _ = rig
    with ControlServer(tmp_path / "control.sock", controller.command) as server:
        assert request(server.path, "sample heart")["ok"]
        eventually(lambda: controller.state is State.IDLE)
        assert request(server.path, "sample joe")["ok"]
        eventually(lambda: controller.state is State.IDLE)
        assert "unknown command" in request(server.path, "sample emma")["error"]
    assert sessions.calls == [("sample", {"voice": "heart"}), ("sample", {"voice": "joe"})]


def test_after_a_restart_in_a_break_an_early_press_still_says_the_time_left(tmp_path):
    from pi_pause.service.pause_record import PauseRecord

    record = PauseRecord(tmp_path / "pause.json")
    record.save(START + timedelta(minutes=60))  # a one-hour pause began at START
    factory = MockFactory(pin_class=MockPWMPin)
    clock = ManualClock(START - timedelta(minutes=25))
    clock.advance(30 * 60)  # restarted five minutes in, on a machine up for half an hour
    sessions, light = ScriptedSessions(), MockLight(factory)
    controller = Controller(sessions, light, PauseSettings(break_minutes=60), clock,
                            record=record).start()
    try:
        eventually(lambda: controller.state is State.ON_BREAK)
        controller.post(ButtonPressed())
        eventually(lambda: sessions.kinds() == ["remaining"])
        assert sessions.calls[-1][1]["remaining"] == pytest.approx(55.0)
        assert controller.state is State.ON_BREAK
    finally:
        controller.stop()
        light.led.close()
        factory.close()
