"""The control socket over a real Unix socket, and its command line."""

from __future__ import annotations

import json
import socket
import stat

import pytest

from pi_pause.service.control_socket import MAX_REQUEST, ControlError, ControlServer, request


def raw(path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(path))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return json.loads(data)


@pytest.fixture
def served(tmp_path):
    """A server whose handler records the commands it was given."""
    seen = []

    def handle(command):
        seen.append(command)
        if command == "checkin":
            raise RuntimeError("boom")
        return {"ok": True, "state": "idle", "message": f"{command} done"}

    path = tmp_path / "run" / "control.sock"
    with ControlServer(path, handle) as server:
        yield server, seen


def test_trigger_reaches_the_service_and_its_answer_comes_back(served):
    server, seen = served
    assert request(server.path, "pause") == {"ok": True, "state": "idle", "message": "pause done"}
    assert request(server.path, "status")["ok"]
    assert seen == ["pause", "status"]


def test_socket_and_its_folder_keep_other_users_out(served):
    server, _ = served
    assert stat.S_ISSOCK(server.path.stat().st_mode)
    assert stat.S_IMODE(server.path.stat().st_mode) == 0o660
    assert stat.S_IMODE(server.path.parent.stat().st_mode) == 0o750


def test_bad_requests_get_an_error_and_the_server_keeps_serving(served):
    server, seen = served
    assert raw(server.path, b"not json\n")["error"] == "request is not one line of JSON"
    assert "unknown command" in raw(server.path, b'{"command": "reboot"}\n')["error"]
    assert "unknown command" in raw(server.path, b'["pause"]\n')["error"]
    assert "longer than" in raw(server.path, b"x" * (MAX_REQUEST + 10))["error"]
    assert raw(server.path, b"\xff\xfe\n")["ok"] is False
    assert request(server.path, "checkin") == {
        "ok": False, "error": "the service could not do that; see its log"}
    assert request(server.path, "stop")["message"] == "stop done"
    assert seen == ["checkin", "stop"]


def test_a_silent_client_is_dropped_without_blocking_others(served, monkeypatch):
    server, _ = served
    import pi_pause.service.control_socket as control

    monkeypatch.setattr(control, "REQUEST_SECONDS", 0.2)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        idle.connect(str(server.path))  # connects, says nothing
        assert request(server.path, "status", timeout=3)["ok"]


def test_a_stale_socket_from_a_dead_service_is_replaced(tmp_path):
    path = tmp_path / "control.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays behind, nobody listens
    with ControlServer(path, lambda c: {"ok": True}) as server:
        assert request(server.path, "status") == {"ok": True}
    assert not path.exists()


def test_a_second_service_on_the_same_socket_is_refused(served):
    server, _ = served
    with pytest.raises(ControlError, match="already running"):
        ControlServer(server.path, lambda c: {"ok": True}).start()
    assert request(server.path, "status")["ok"]  # the first one is untouched


def test_a_regular_file_in_the_way_is_never_deleted(tmp_path):
    path = tmp_path / "control.sock"
    path.write_text("precious")
    with pytest.raises(ControlError, match="not a socket"):
        ControlServer(path, lambda c: {"ok": True}).start()
    assert path.read_text() == "precious"


def test_client_says_how_to_start_the_service_when_none_is_running(tmp_path):
    with pytest.raises(ControlError, match=r"is pi-pause running\? start it with"):
        request(tmp_path / "nothing.sock", "status")


def test_cli_trigger_without_a_service_is_one_clear_line(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\nsocket = "{tmp_path / "control.sock"}"\n')
    result = cli("--config", str(cfg), "trigger", "pause")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "is pi-pause running? start it with" in result.stderr


def test_cli_trigger_and_status_print_the_service_answer(cli, tmp_path):
    path = tmp_path / "control.sock"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\nsocket = "{path}"\n')

    def handle(command):
        if command == "status":
            return {"ok": True, "state": "on_break", "message": "on a break until 21:40"}
        return {"ok": False, "error": "a pause is already in progress"}

    with ControlServer(path, handle):
        status = cli("--config", str(cfg), "status")
        trigger = cli("--config", str(cfg), "trigger", "pause")
        raw_status = cli("--config", str(cfg), "status", "--json")
    assert (status.returncode, status.stdout) == (0, "on a break until 21:40\n")
    assert (trigger.returncode, trigger.stdout) == (1, "a pause is already in progress\n")
    assert json.loads(raw_status.stdout)["state"] == "on_break"
    assert json.loads(raw_status.stdout)["running"] is True


def test_status_json_without_a_service_is_still_json(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\nsocket = "{tmp_path / "control.sock"}"\n')
    result = cli("--config", str(cfg), "status", "--json")
    reply = json.loads(result.stdout)
    assert reply["running"] is False and reply["ok"] is False
    assert "is pi-pause running?" in reply["error"]
    assert result.returncode == 1 and result.stderr == ""


def test_with_no_service_anywhere_the_error_names_both_places_it_could_listen(tmp_path, monkeypatch):
    # A laptop's service listens in a per-user folder when /run/pi-pause is not its own;
    # "not running" must name that place too, not only the system one.
    from pi_pause import config
    from pi_pause.service.control_socket import request_service, socket_paths

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    settings = config.Settings()
    system, personal = socket_paths(settings)
    with pytest.raises(ControlError) as refused:
        request_service(settings, "status")
    assert str(refused.value).startswith(f"no pi-pause service answers at {system} or {personal}; ")
    assert "\n" not in str(refused.value)
