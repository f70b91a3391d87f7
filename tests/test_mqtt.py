"""The Home Assistant bridge (``pi-pause mqtt``) against a real Mosquitto broker.

Each test builds a house (tests/mqtt_house.py): a real broker on a loopback port with a
password file, the real service with stand-in ear and voice and a clock the test moves,
the real bridge process, and a real MQTT client that hears everything.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import types

import pytest

from pi_pause.config import MqttSettings
from pi_pause.events import ButtonPressed
from pi_pause.mqtt.bridge import MAX_COMMANDS, Bridge
from pi_pause.mqtt.follow import Event, Follower
from pi_pause.mqtt.topics import COMMANDS, EVENT_TYPES, STATES, Topics, discovery
from pi_pause.service.controller import RETURN_WINDOW_SECONDS, State
from tests.mosquitto import USER, Listener
from tests.mqtt_house import House
from tests.standins import eventually

COMPONENTS = {"button", "sensor", "binary_sensor", "event"}


@pytest.fixture
def house(tmp_path):
    house = House(tmp_path)
    yield house
    house.close()


# -- what Home Assistant is told (no broker needed) -----------------------------------

def test_discovery_payloads_have_home_assistants_documented_schema():
    topics = Topics.of(MqttSettings(topic_prefix="flat/pi-pause", device_name="Our pause"))
    configs = discovery(topics)
    seen_ids, components = set(), set()
    for topic, text in configs:
        match = re.fullmatch(r"homeassistant/(\w+)/flat_pi-pause/(\w+)/config", topic)
        assert match, topic
        component, object_id = match.groups()
        components.add(component)
        payload = json.loads(text)
        assert payload["unique_id"] == f"flat_pi-pause_{object_id}" and payload["unique_id"] not in seen_ids
        seen_ids.add(payload["unique_id"])
        assert payload["device"]["identifiers"] == ["flat_pi-pause"]
        assert payload["device"]["name"] == "Our pause" and payload["name"]
        assert [a["topic"] for a in payload["availability"]] == ["flat/pi-pause/availability",
                                                                  "flat/pi-pause/service"]
        assert payload["availability_mode"] == "all"
        assert payload["origin"] == {"name": "pi-pause", "sw_version": payload["device"]["sw_version"]}
        if component == "button":
            assert payload["command_topic"] == "flat/pi-pause/command"
            assert payload["payload_press"] in COMMANDS
        else:
            assert payload["state_topic"].startswith("flat/pi-pause/")
        if component == "event":
            assert payload["event_types"] == list(EVENT_TYPES)
    assert components == COMPONENTS
    buttons = [json.loads(t)["payload_press"] for topic, t in configs if "/button/" in topic]
    assert sorted(buttons) == sorted(COMMANDS)
    state = next(json.loads(t) for topic, t in configs if topic.endswith("/state/config"))
    assert state["device_class"] == "enum" and state["options"] == [s.value for s in State]
    assert STATES == tuple(s.value for s in State)


def test_a_pause_that_began_and_ended_between_two_looks_still_gives_both_events():
    follower = Follower()
    idle = {"ok": True, "state": "idle", "pauses": 0, "checkins": 0}
    assert follower.look(idle)[1] == []  # the first look is where things stand: no events
    values, events = follower.look(dict(idle, pauses=1, checkins=1))
    assert events == [Event("pause_started", "unknown"), Event("break_ended"),
                      Event("checkin_started"), Event("checkin_ended")]
    assert values["on_break"] == "OFF" and values["return_time"] == "None"
    values, events = follower.look({"ok": True, "state": "pausing", "pauses": 2, "checkins": 1,
                                    "started_by": "phrase", "return_time": "2026-06-03T20:20+00:00"})
    assert events == [Event("pause_started", "phrase")] and values["on_break"] == "ON"
    assert follower.look({"ok": True, "state": "idle", "pauses": 0, "checkins": 0})[1] == []  # restarted
    assert follower.look(None) == ({"service": "offline"}, [])


def test_commands_and_messages_from_the_broker_are_bounded(caplog):
    bridge = Bridge(MqttSettings(host="127.0.0.1"), "", ask=lambda command: {"ok": True})
    message = types.SimpleNamespace(topic=bridge.topics.command, payload=b"stop")
    for _ in range(10 * MAX_COMMANDS):
        bridge._message(bridge.client, None, message)
    assert bridge._commands.qsize() == MAX_COMMANDS
    bridge._message(bridge.client, None, types.SimpleNamespace(topic=bridge.topics.command,
                                                                payload=b"x" * 1_000_000))
    bridge._message(bridge.client, None, types.SimpleNamespace(topic=bridge.topics.command,
                                                                payload=b"self-destruct"))
    assert bridge._commands.qsize() == MAX_COMMANDS
    lines = [r.getMessage() for r in caplog.records]
    assert sum("commands waiting" in line for line in lines) == 1
    assert sum("ignored a message of 1000000 bytes" in line for line in lines) == 1
    assert sum("not one of pause, checkin, stop" in line for line in lines) == 1
    assert not any("self-destruct" in line for line in lines)  # what a stranger sent is not echoed


def test_no_broker_set_is_a_one_line_error(tmp_path, cli):
    (tmp_path / "c.toml").write_text(f'[paths]\nstate_dir = "{tmp_path}"\n')
    done = cli("--config", str(tmp_path / "c.toml"), "mqtt", timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'pi-pause: no MQTT broker is set; add [mqtt] host = "homeassistant.local" (your '
        "broker's name or address) to the settings file"]


def test_the_broker_password_is_kept_0600_from_stdin_never_in_the_settings(house):
    done = house.set_password("s3cret broker words")
    assert done.returncode == 0, done.stderr
    stored = house.folder / "state" / "mqtt-password"
    assert stored.read_text() == "s3cret broker words\n" and stored.stat().st_mode & 0o777 == 0o600
    assert "s3cret" not in house.config.read_text()
    assert house.cli("mqtt", "password", input="\n").returncode == 2


# -- with a broker -------------------------------------------------------------------------

def test_a_pause_from_home_assistant_is_followed_step_by_step(house):
    house.set_password()
    service = house.start_service()
    house.start_bridge()
    heard = house.listener
    assert heard.wait_for("pi-pause/state") == "idle"
    assert heard.wait_for("pi-pause/availability") == "online"
    assert heard.wait_for("pi-pause/ear") == "counting"
    assert heard.wait_for("pi-pause/microphone") == "listening"
    assert heard.wait_for("homeassistant/button/pi-pause/pause/config")

    # A button in Home Assistant starts a pause, as `pi-pause trigger pause` would; a
    # message too big for the bridge never even reaches it (MQTT 5 maximum packet size).
    mark = len(heard.heard())
    heard.publish("pi-pause/command", "x" * 100_000)
    heard.publish("pi-pause/command", "pause")
    assert json.loads(heard.wait_for("pi-pause/command/result", after=mark)) == {
        "command": "pause", "ok": True, "message": "pause started"}
    assert heard.wait_for("pi-pause/state", after=mark) == "pausing"
    assert heard.wait_for("pi-pause/on_break", after=mark) == "ON"
    assert heard.wait_for("pi-pause/return_time", after=mark) == "2026-06-03T20:20+00:00"
    assert json.loads(heard.wait_for("pi-pause/event", after=mark)) == {
        "event_type": "pause_started", "how": "remote"}

    # The same refusal, in the same words, as `pi-pause trigger`.
    mark = len(heard.heard())
    heard.publish("pi-pause/command", "pause")
    refused = json.loads(heard.wait_for("pi-pause/command/result", after=mark))
    trigger = house.cli("trigger", "pause")
    assert trigger.returncode == 1 and refused == {
        "command": "pause", "ok": False, "message": trigger.stdout.strip()}
    assert refused["message"] == "a pause is already in progress"

    # The breathing ends, the break passes, the return cue comes: the break has ended.
    mark = len(heard.heard())
    service.controller.post(ButtonPressed())
    assert heard.wait_for("pi-pause/state", after=mark) == "on_break"
    house.clock.advance(20 * 60 + 1)
    assert heard.wait_for("pi-pause/state", "returning", after=mark)
    assert heard.wait_for("pi-pause/on_break", after=mark) == "OFF"
    assert heard.wait_for("pi-pause/return_time", after=mark) == "None"
    assert json.loads(heard.wait_for("pi-pause/event", after=mark)) == {"event_type": "break_ended"}
    eventually(lambda: house.sessions.kinds()[-1:] == ["return"], timeout=5)
    time.sleep(0.1)
    house.clock.advance(RETURN_WINDOW_SECONDS + 1)
    assert heard.wait_for("pi-pause/state", "idle", after=mark)

    # The check-in, offered from Home Assistant, begins and ends.
    mark = len(heard.heard())
    heard.publish("pi-pause/command", "checkin")
    events = [json.loads(heard.wait_for("pi-pause/event", after=mark))]
    eventually(lambda: len([t for t, _, _ in heard.heard()[mark:] if t == "pi-pause/event"]) == 2,
               timeout=5)
    events = [json.loads(p) for t, p, _ in heard.heard()[mark:] if t == "pi-pause/event"]
    assert events == [{"event_type": "checkin_started"}, {"event_type": "checkin_ended"}]

    # The service stops: Home Assistant shows the device unavailable.
    mark = len(heard.heard())
    house.stop_service()
    assert heard.wait_for("pi-pause/service", "offline", after=mark, timeout=8)
    assert house.bridge.poll() is None
    problems = [line for line in house.bridge_log() if "no pi-pause service answers" in line]
    assert len(problems) == 1, house.bridge_log()
    assert not [line for line in house.bridge_log() if "100000 bytes" in line]


def test_the_last_will_says_offline_when_the_bridge_is_killed(house):
    house.set_password()
    house.start_service()
    house.start_bridge()
    house.listener.wait_for("pi-pause/availability", "online")
    mark = len(house.listener.heard())
    house.kill_bridge(signal.SIGKILL)
    assert house.listener.wait_for("pi-pause/availability", after=mark) == "offline"
    # and a newcomer (Home Assistant starting later) learns it too: it is retained
    late = Listener(house.broker.port)
    try:
        late.wait_for("pi-pause/availability", "offline")
        assert ("pi-pause/availability", "offline", True) in late.heard()
        assert any(t == "homeassistant/sensor/pi-pause/state/config" and retained
                   for t, _, retained in late.heard())
    finally:
        late.close()


def test_the_bridge_waits_for_an_absent_broker_and_comes_back_after_a_restart(house):
    house.set_password()
    house.start_service()
    house.broker.stop()
    house.start_bridge()          # no broker yet
    time.sleep(1.5)
    assert house.bridge.poll() is None
    house.broker.start()
    house.listener.wait_for("pi-pause/availability", "online", timeout=10)
    mark = len(house.listener.heard())
    house.broker.stop()           # it goes away (forgetting every retained message) ...
    time.sleep(0.5)
    house.broker.start()          # ... and comes back: the bridge says everything again
    house.listener.wait_for("pi-pause/availability", "online", after=mark, timeout=10)
    house.listener.wait_for("homeassistant/sensor/pi-pause/state/config", after=mark)
    assert house.listener.wait_for("pi-pause/state", after=mark) == "idle"
    log = house.bridge_log()
    assert sum("cannot reach the MQTT broker" in line for line in log) == 1, log
    assert sum("lost the MQTT broker" in line for line in log) == 1, log


def test_a_wrong_password_is_refused_in_one_line_and_tried_again(house):
    house.set_password("not the password")
    house.start_service()
    house.start_bridge()
    eventually(lambda: any("refused" in line for line in house.bridge_log()), timeout=5)
    time.sleep(1.2)               # at least one more try, 1 s later
    assert house.bridge.poll() is None
    refusals = [line for line in house.bridge_log() if "refused" in line]
    assert refusals == [f"the MQTT broker at 127.0.0.1:{house.broker.port} refused the user name "
                        "or password (Not authorized); check [mqtt] user, and set the password "
                        "with 'pi-pause mqtt password'"], house.bridge_log()
    assert not [t for t, _, _ in house.listener.heard() if t.startswith("pi-pause/")]
    # The broker's keeper accepts that password after all: the bridge's next try gets in.
    house.broker.add_user(USER, "not the password")
    house.listener.wait_for("pi-pause/availability", "online", timeout=8)


BRIDGE_RUN = (
    "import os, signal, threading\n"
    "threading.Timer(float(sys.argv[3]), lambda: os.kill(os.getpid(), signal.SIGTERM)).start()\n"
    "from pi_pause.commands.cli import main\n"
    "main(['--config', sys.argv[2], 'mqtt'])")


def test_the_bridge_never_touches_a_sound_device_or_gpio(house):
    """The settings page's tripwire (tests/test_web.py), around a bridge that follows a pause."""
    from tests.conftest import ROOT
    from tests.test_web import TRIPWIRE

    source = TRIPWIRE.replace("from tests.test_web import exercise_every_page  # noqa: E402\n\n"
                              "exercise_every_page(Path(sys.argv[2]))", BRIDGE_RUN)
    assert source != TRIPWIRE
    house.set_password()
    house.start_service()
    child = subprocess.Popen([sys.executable, "-c", source, str(ROOT), str(house.config), "4"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env=house.env())
    try:
        house.listener.wait_for("pi-pause/state", "idle", timeout=8)
        house.listener.publish("pi-pause/command", "pause")
        house.listener.wait_for("pi-pause/state", "pausing")
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert out.strip().splitlines()[-1] == "clean", out + err


def test_new_settings_from_the_page_are_taken_up_and_the_old_device_is_removed(house):
    house.set_password()
    house.start_service()
    house.start_bridge()
    heard = house.listener
    heard.wait_for("pi-pause/state", "idle")
    mark = len(heard.heard())
    from pi_pause.settings_file import SettingsFile

    SettingsFile(house.config).change({("mqtt", "topic_prefix"): "flat/pi-pause"})
    assert heard.wait_for("flat/pi-pause/state", after=mark, timeout=8) == "idle"
    assert json.loads(heard.wait_for("homeassistant/sensor/flat_pi-pause/state/config", after=mark))
    assert heard.wait_for("homeassistant/sensor/pi-pause/state/config", after=mark) == ""  # removed
    assert heard.wait_for("pi-pause/state", after=mark) == ""
    assert house.bridge.poll() is None


def test_tls_with_the_brokers_ca_connects_and_a_wrong_ca_is_refused_in_one_line(tmp_path):
    from tests.mosquitto import Broker, make_certificates

    house = House(tmp_path, tls=True)
    try:
        house.set_password()
        house.start_service()
        with house.config.open("a") as f:
            f.write(f'tls_ca = "{house.broker.ca}"\n')
        house.start_bridge()
        assert house.listener.wait_for("pi-pause/state", timeout=8) == "idle"
        house.kill_bridge()
        stranger = make_certificates(tmp_path, name="stranger")
        house.config.write_text(house.config.read_text().replace(str(house.broker.ca), str(stranger)))
        house.start_bridge()
        eventually(lambda: any("TLS check" in line for line in house.bridge_log()), timeout=8)
        time.sleep(1.2)  # and one more try
        lines = [line for line in house.bridge_log() if "TLS check" in line]
        assert len(lines) == 1 and "(self-signed certificate in certificate chain)" in lines[0], lines
        assert house.bridge.poll() is None
    finally:
        house.close()


def test_the_doctor_says_whether_the_broker_answers_and_the_password_is_set(house):
    from pi_pause import config
    from pi_pause.commands.doctor import check_home_assistant

    check = check_home_assistant(house.settings, None)
    assert (check.status, check.message) == (
        "warn", f"broker 127.0.0.1:{house.broker.port} answers; user pi-pause has no password here")
    house.set_password()
    assert check_home_assistant(house.settings, None).status == "ok"
    house.broker.stop()
    check = check_home_assistant(house.settings, None)
    assert check.status == "warn" and "cannot reach the MQTT broker" in check.message
    assert check_home_assistant(config.Settings(), None).message.startswith("off (no [mqtt] host)")
