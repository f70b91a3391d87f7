"""sd_notify over a real datagram socket, as systemd would receive it."""

from __future__ import annotations

import os
import socket

from pi_pause.service.systemd_notify import Notifier


def listening_socket(path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    return sock


def test_ready_watchdog_status_and_stopping_reach_the_notify_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify"
    server = listening_socket(path)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    notifier = Notifier()
    assert notifier.ready("listening")
    assert notifier.watchdog()
    assert notifier.status("on a break")
    assert notifier.stopping()
    received = [server.recv(4096).decode() for _ in range(4)]
    assert received == ["READY=1\nSTATUS=listening", "WATCHDOG=1", "STATUS=on a break", "STOPPING=1"]
    notifier.close()
    server.close()


def test_abstract_namespace_address_is_supported(monkeypatch):
    name = f"pi-pause-test-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(2)
    notifier = Notifier("@" + name)
    assert notifier.watchdog()
    assert server.recv(100) == b"WATCHDOG=1"
    server.close()


def test_without_systemd_every_call_is_a_quiet_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.ready() is False
    assert notifier.watchdog() is False


def test_a_vanished_notify_socket_is_reported_once_and_never_raises(tmp_path, caplog):
    notifier = Notifier(str(tmp_path / "gone"))
    assert notifier.watchdog() is False
    assert notifier.watchdog() is False
    assert caplog.text.count("cannot notify systemd") == 1


def test_watchdog_interval_is_half_the_systemd_timeout(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert Notifier("x").watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert Notifier("x").watchdog_interval() is None
