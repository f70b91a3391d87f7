"""The control socket under load: silent, slow and many clients at once, and an impostor.

A bounded soak on a Unix socket in the test's own folder: every client is
loopback-only, counted and timed; the server is the real one, answering the
real controller's kind of replies.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from pi_pause import config
from pi_pause.service import control_socket
from pi_pause.service.control_socket import MAX_CLIENTS, REQUEST_SECONDS, ControlServer, request
from tests.standins import eventually


@pytest.fixture
def server(tmp_path):
    served = []

    def handle(command):
        served.append(command)
        return {"ok": True, "state": "idle", "message": "idle, listening"}

    path = tmp_path / "control.sock"
    with ControlServer(path, handle) as srv:
        yield SimpleNamespace(path=path, served=served, srv=srv)


def connect(path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(path))
    return sock


def test_silent_clients_do_not_delay_status(server):
    silent = [connect(server.path) for _ in range(5)]
    try:
        started = time.monotonic()
        assert request(server.path, "status")["ok"]
        assert time.monotonic() - started < 1.0  # not 2 s per silent client before it
    finally:
        for sock in silent:
            sock.close()


def test_a_trickling_client_is_cut_off_at_the_deadline_for_the_whole_request(server):
    sock = connect(server.path)
    started = time.monotonic()
    answer = b""
    try:
        for byte in b'{"command": "status"}':  # one byte every 0.4 s: 8 s for the request
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            sock.settimeout(0.4)
            try:
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            break
    finally:
        sock.close()
    assert json.loads(answer) == {"ok": False, "error": "request timed out"}
    assert time.monotonic() - started < REQUEST_SECONDS + 1.0


def test_two_hundred_clients_at_once_all_get_an_answer(server):
    def ask(_):
        try:
            return request(server.path, "status", timeout=10)
        except control_socket.ControlError as exc:
            return {"refused": str(exc)}

    with ThreadPoolExecutor(max_workers=200) as pool:
        replies = list(pool.map(ask, range(200)))
    assert [r for r in replies if "refused" in r] == []
    ok = sum(r.get("ok") is True for r in replies)
    busy = sum(r.get("error") == "the service is busy; try again" for r in replies)
    assert ok + busy == 200 and ok >= 100


def test_past_the_bound_a_client_is_told_busy_at_once_and_the_server_recovers(server):
    held = [connect(server.path) for _ in range(MAX_CLIENTS)]
    try:
        time.sleep(0.2)  # every held connection has its thread now
        started = time.monotonic()
        reply = request(server.path, "status")
        assert reply == {"ok": False, "error": "the service is busy; try again"}
        assert time.monotonic() - started < 1.0
    finally:
        for sock in held:
            sock.close()
    end = time.monotonic() + REQUEST_SECONDS + 2
    while (reply := request(server.path, "status")).get("ok") is not True:
        assert time.monotonic() < end, reply
        time.sleep(0.05)
    # Threads come and go: none are left once the clients have gone.
    eventually(lambda: not any(t.name == "control-client" for t in threading.enumerate()))


def test_a_fallback_folder_someone_else_made_is_neither_used_nor_trusted(tmp_path, monkeypatch):
    """``/tmp/pi-pause-UID`` made first by another local user: the service refuses to
    listen there, and ``pi-pause trigger`` does not talk to whatever listens there."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    settings = config.parse("")
    fallback = control_socket.socket_paths(settings)[-1]
    fallback.parent.mkdir()
    impostor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    impostor.bind(str(fallback))
    impostor.listen(1)
    if os.geteuid() == 0:
        os.chown(fallback.parent, 4242, 4242)  # as root: give it to another user
    else:
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)  # or become another user
    try:
        with pytest.raises(control_socket.ControlError, match="belongs to another user"):
            ControlServer(fallback, lambda c: {"ok": True}).start()
        with pytest.raises(control_socket.ControlError, match="no pi-pause service answers"):
            control_socket.request_service(settings, "status", timeout=1)
    finally:
        impostor.close()
