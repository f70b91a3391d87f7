"""``pi-pause mqtt``: the Home Assistant bridge, and the broker's password.

``pi-pause mqtt`` runs :class:`pi_pause.mqtt.bridge.Bridge` until stopped (SIGTERM or
Ctrl-C), with the ``[mqtt]`` settings of the same settings file as the service
(``--config`` works as everywhere). When those settings or the password change (the
settings page, an editor), it connects again with them within seconds; a file that no
longer parses is reported once and the running settings stay. ``pi-pause mqtt password``
stores the broker's password in the state folder (read from the terminal twice, or one
line from a pipe)::

    printf 'the broker password\\n' | sudo -u pi-pause pi-pause mqtt password
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from pathlib import Path

from pi_pause import config, dirs
from pi_pause.errors import UserError
from pi_pause.commands.new_password import save_new_password
from pi_pause.mqtt.bridge import Bridge
from pi_pause.mqtt.secret import BrokerPassword
from pi_pause.service.control_socket import request_service

log = logging.getLogger("pi_pause")

STATUS_SECONDS = 2.0    # a status reply is immediate; a service that takes longer is stuck
COMMAND_SECONDS = 5.0   # as `pi-pause trigger`


def mqtt_command(args, settings: config.Settings) -> int:
    if args.action == "password":
        return _set_password(settings)
    stopping = threading.Event()
    bridge: Bridge | None = None

    def stop(*_) -> None:
        stopping.set()
        if bridge is not None:
            bridge.wake()

    signal.signal(signal.SIGTERM, stop)
    while True:
        secret = BrokerPassword(dirs.state_dir(settings))
        watch = SettingsWatch(args.config, secret, settings)
        bridge = Bridge(_resolved(settings), secret.read(), _asker(settings))
        try:
            again = bridge.run(stopping, changed=watch.changed)
        except KeyboardInterrupt:
            return 0
        if not again:
            return 0
        settings = watch.settings
        log.info("the [mqtt] settings or the password changed; connecting again with them")


def _resolved(settings: config.Settings) -> config.MqttSettings:
    """The [mqtt] settings with a relative tls_ca taken from the project folder, as every path."""
    mqtt = settings.mqtt
    return dataclasses.replace(mqtt, tls_ca=str(settings.resolve(mqtt.tls_ca))) if mqtt.tls_ca else mqtt


def _asker(settings: config.Settings):
    return lambda command: request_service(
        settings, command, timeout=STATUS_SECONDS if command == "status" else COMMAND_SECONDS)


class SettingsWatch:
    """Has the settings file's ``[mqtt]`` section, or the password, changed since start?"""

    def __init__(self, path: Path | None, secret: BrokerPassword, settings: config.Settings) -> None:
        self.path = path if path is not None else config.default_config_path()
        self.explicit = path
        self.secret = secret
        self.settings = settings
        self.password = secret.read()
        self._stamp = self._stamps()
        self._told = ""

    def _stamps(self) -> tuple:
        stamps = []
        for path in (self.path, self.secret.path):
            try:
                info = path.stat()
                stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def changed(self) -> config.MqttSettings | None:
        """The new ``[mqtt]`` settings when they (or the password) changed, else None."""
        stamp = self._stamps()
        if stamp == self._stamp:
            return None
        try:
            new = config.load(self.explicit)
            password = self.secret.read()
        except UserError as exc:
            if str(exc) != self._told:
                self._told = str(exc)
                log.warning("%s; the bridge keeps its settings until that is fixed", exc)
            return None
        self._stamp, self._told = stamp, ""
        if new.mqtt == self.settings.mqtt and password == self.password:
            return None
        self.settings, self.password = new, password
        return new.mqtt


def _set_password(settings: config.Settings) -> int:
    where = save_new_password(BrokerPassword(dirs.state_dir(settings)), "The MQTT broker's password: ",
                              "pi-pause mqtt password")
    print(f"password saved in {where}; a running bridge uses it within seconds")
    return 0
