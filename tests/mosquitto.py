"""A real Mosquitto broker for the tests, and a real MQTT client that records what it hears.

The broker runs on a free loopback port with a password file (made with
``mosquitto_passwd``) and a generated configuration; no system service is involved.
``bootstrap.sh test`` installs the Debian package ``mosquitto``.
"""

from __future__ import annotations

import pwd
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

USER = "pi-pause"
PASSWORD = "a broker password"
WATCHER, WATCHER_PASSWORD = "watcher", "the watcher's password"  # the tests' own client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(folder: Path, name: str = "") -> Path:
    """A test CA (``NAMEca.pem``) and, signed by it, a server certificate for 127.0.0.1
    (``server.pem``, ``server.key``; only when ``name`` is empty). Returns the CA's path."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=folder)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", f"{name}ca.key", "-out", f"{name}ca.pem", "-days", "2",
            "-subj", f"/CN=pi-pause test CA {name}")
    if not name:
        openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
        (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
        (folder / "server.key").chmod(0o600)
    return folder / f"{name}ca.pem"


class Broker:
    """``mosquitto`` on 127.0.0.1:``port`` that lets in :data:`USER` with :data:`PASSWORD` only."""

    def __init__(self, folder: Path, tls: bool = False) -> None:
        assert shutil.which("mosquitto"), "bootstrap.sh test installs mosquitto"
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.passwords = passwords = self.folder / "passwords"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), USER, PASSWORD],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["mosquitto_passwd", "-b", str(passwords), WATCHER, WATCHER_PASSWORD],
                       check=True, capture_output=True, timeout=30)
        passwords.chmod(0o600)
        self.config = self.folder / "mosquitto.conf"
        self.ca = make_certificates(self.folder) if tls else None
        tls_lines = (f"cafile {self.ca}\ncertfile {self.folder / 'server.pem'}\n"
                     f"keyfile {self.folder / 'server.key'}\n") if tls else ""
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n{tls_lines}"
            "allow_anonymous false\n"
            f"password_file {passwords}\n"
            "persistence false\n"
            # as root, mosquitto would otherwise become the user 'mosquitto', who cannot
            # read the password file
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> Broker:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise AssertionError(f"mosquitto ended: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mosquitto did not start listening")

    def add_user(self, user: str, password: str) -> None:
        """Let ``user`` in with ``password`` (replacing the old one), from now on (SIGHUP)."""
        subprocess.run(["mosquitto_passwd", "-b", str(self.passwords), user, password],
                       check=True, capture_output=True, timeout=30)
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Listener:
    """A real MQTT client subscribed to everything; keeps (topic, payload, retained)."""

    def __init__(self, port: int, user: str = WATCHER, password: str = WATCHER_PASSWORD,
                 ca: Path | None = None) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-{port}-{id(self)}")
        self.client.username_pw_set(user, password)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_message = self._heard
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _heard(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload.decode("utf-8", "replace"),
                                  bool(message.retain)))

    def heard(self) -> list[tuple[str, str, bool]]:
        with self._lock:
            return list(self.messages)

    def last(self, topic: str) -> str | None:
        found = [payload for t, payload, _ in self.heard() if t == topic]
        return found[-1] if found else None

    def wait_for(self, topic: str, payload: str | None = None, timeout: float = 5.0,
                 after: int = 0) -> str:
        """The first payload on ``topic`` (equal to ``payload`` if given) among messages
        from index ``after`` on."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for t, p, _ in self.heard()[after:]:
                if t == topic and (payload is None or p == payload):
                    return p
            time.sleep(0.02)
        raise AssertionError(f"nothing on {topic} ({payload}) within {timeout} s; heard "
                             f"{[(t, p) for t, p, _ in self.heard()[after:]][-20:]}")

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)

    def close(self) -> None:
        self.client.disconnect()  # first: it wakes the network loop, so loop_stop is quick
        self.client.loop_stop()
