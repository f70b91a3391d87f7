"""The first five minutes, as a new user meets them: every line says what is true.

Each test pins one confusing line a new user met on a laptop (issue 11).
"""

from __future__ import annotations

import io
import logging
from datetime import datetime

from pi_pause.service.controller import State
from pi_pause.service.simulation import ShownLight
from tests.standins import MockLight, eventually
from tests.test_service import service  # noqa: F401  (the fixture)


def test_the_led_turned_on_twice_is_shown_once(mock_pins):
    out = io.StringIO()
    light = ShownLight(MockLight(mock_pins), out, now=lambda: datetime(2026, 12, 6, 21, 0))
    light.on()
    light.on()  # the controller, then the script: the same "on"
    light.pulse_slow()
    light.on()
    assert out.getvalue().splitlines() == ["21:00:00 [LED] on", "21:00:00 [LED] slow dim pulse",
                                           "21:00:00 [LED] on"]


def test_a_press_is_logged_once_with_what_it_did(service, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    service.keys.write("\n")
    eventually(lambda: service.svc.controller.state is State.ON_BREAK)
    pressed = [r.getMessage() for r in caplog.records if "button" in r.getMessage()]
    assert len(pressed) == 1 and pressed[0].startswith("button pressed: pause started")


def test_ready_does_not_claim_listening_without_a_microphone(service, caplog):  # noqa: F811
    """The service fixture's microphone is absent: the status says so, and no line says
    'listening' while it is."""
    from pi_pause.service.control_socket import request

    status = request(service.socket, "status")
    assert status["microphone"] == "unavailable"
    assert "listening" not in status["message"]


def test_doctor_names_what_is_wrong_instead_of_asking_for_a_bug_report(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    config = tmp_path / "config.toml"
    config.write_text(f'[paths]\nstate_dir = "{blocker}/state"\ncache_dir = "{tmp_path}/c"\n'
                      '[listen]\nengine = "pocketsphinx"\n')
    result = cli("--config", str(config), "doctor")
    lines = result.stdout.splitlines()
    assert not [line for line in lines if "report this as a bug" in line], lines
    assert any(line.startswith("FAIL  state folder") or ("state_dir" in line and "FAIL" in line)
               for line in lines), lines
    phrase = [line for line in lines if line.startswith("ok    phrase: ") and "(pocketsphinx)" in line]
    assert phrase and not phrase[0].rstrip().endswith(":"), lines
    speaker = [line for line in lines if " speaker: " in line]
    assert speaker and "waits and retries" not in speaker[0]
