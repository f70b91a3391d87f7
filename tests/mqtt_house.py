"""A house for the bridge's tests: a real broker, the real service (stand-in ear and voice,
a clock the test moves), the real ``pi-pause mqtt`` process, and a real MQTT client listening."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from pi_pause import config
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from pi_pause.wallclock import ManualClock
from tests.conftest import ROOT
from tests.mosquitto import PASSWORD, USER, Broker, Listener
from tests.standins import ScriptedSessions, stand_in_parts
from tests.test_listener import CountingSpotter, ScriptedMic

START = datetime(2026, 6, 3, 20, 0, tzinfo=timezone.utc)


class House:
    def __init__(self, folder: Path, phrase: str = "let's take a pause", tls: bool = False) -> None:
        self.folder = Path(folder)
        self.broker = Broker(self.folder / "broker", tls=tls).start()
        self.config = self.folder / "config.toml"
        self.config.write_text(
            f'[listen]\nphrases = ["{phrase}"]\n'
            f'[paths]\nstate_dir = "{self.folder / "state"}"\ncache_dir = "{self.folder / "state"}"\n'
            f'socket = "{self.folder / "control.sock"}"\n'
            '[checkin]\nenabled = false\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {self.broker.port}\nuser = "{USER}"\n')
        self.settings = config.load(self.config)
        self.sessions = ScriptedSessions(steps=1)
        self.sessions.hold.add("pause")   # the breathing goes on until the test moves it on
        self.spotter = CountingSpotter()
        self.mic = ScriptedMic()
        self.mic.present.set()
        self.clock = ManualClock(START)
        self.service: Service | None = None
        self.bridge: subprocess.Popen | None = None
        self.log = self.folder / "bridge.log"
        self.listener = Listener(self.broker.port, ca=self.broker.ca)

    def start_service(self) -> Service:
        parts = stand_in_parts(spotter=self.spotter, mic=self.mic, sessions=self.sessions)
        self.service = Service(self.settings, Options(simulate=True), parts=parts, clock=self.clock,
                               notifier=Notifier(""), out=io.StringIO(),
                               keyboard=io.StringIO("")).start()
        return self.service

    def stop_service(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    def set_password(self, password: str = PASSWORD) -> subprocess.CompletedProcess:
        return self.cli("mqtt", "password", input=password + "\n")

    def cli(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pi_pause", "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=60, env=self.env(), cwd=ROOT,
                              **kwargs)

    def env(self) -> dict:
        env = dict(os.environ, PYTHONPATH=str(ROOT), GPIOZERO_PIN_FACTORY="mock")
        env.pop("NOTIFY_SOCKET", None)
        return env

    def start_bridge(self) -> subprocess.Popen:
        self.bridge = subprocess.Popen(
            [sys.executable, "-m", "pi_pause", "--config", str(self.config), "mqtt"],
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"), env=self.env(), cwd=ROOT)
        return self.bridge

    def bridge_log(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def kill_bridge(self, sig: int = signal.SIGTERM) -> None:
        if self.bridge is not None and self.bridge.poll() is None:
            self.bridge.send_signal(sig)
            self.bridge.wait(timeout=10)

    def close(self) -> None:
        try:
            self.kill_bridge()
        finally:
            if self.bridge is not None and self.bridge.poll() is None:
                self.bridge.kill()
            self.listener.close()
            self.stop_service()
            self.broker.stop()
