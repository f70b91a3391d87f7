"""``pi-pause mqtt``: the Home Assistant bridge, and the broker's password.

``pi-pause mqtt`` runs :class:`pi_pause.mqtt.bridge.Bridge` until stopped (SIGTERM or
Ctrl-C), with the ``[mqtt]`` settings of the same settings file as the service
(``--config`` works as everywhere). ``pi-pause mqtt password`` stores the broker's
password in the state folder (read from the terminal twice, or one line from a pipe)::

    printf 'the broker password\\n' | sudo -u pi-pause pi-pause mqtt password
"""

from __future__ import annotations

import getpass
import signal
import sys
import threading

from pi_pause import config, dirs
from pi_pause.errors import UserError
from pi_pause.mqtt.bridge import Bridge
from pi_pause.mqtt.secret import BrokerPassword
from pi_pause.service.control_socket import request_service

STATUS_SECONDS = 2.0    # a status reply is immediate; a service that takes longer is stuck
COMMAND_SECONDS = 5.0   # as `pi-pause trigger`


def mqtt_command(args, settings: config.Settings) -> int:
    if args.action == "password":
        return _set_password(settings)
    password = BrokerPassword(dirs.state_dir(settings)).read()
    bridge = Bridge(settings.mqtt, password, lambda command: request_service(
        settings, command, timeout=STATUS_SECONDS if command == "status" else COMMAND_SECONDS))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: (stopping.set(), bridge.wake()))
    try:
        return bridge.run(stopping)
    except KeyboardInterrupt:
        stopping.set()
        return 0


def _set_password(settings: config.Settings) -> int:
    if sys.stdin.isatty():
        first = getpass.getpass("The MQTT broker's password: ")
        if getpass.getpass("Again: ") != first:
            raise UserError("the two passwords differ; nothing was changed")
    else:
        first = sys.stdin.readline().rstrip("\n")
    password = BrokerPassword(dirs.state_dir(settings))
    try:
        password.set(first)
    except OSError as exc:
        raise UserError(f"cannot write {password.path} ({exc.strerror or exc}); run it as the "
                        "service user: sudo -u pi-pause pi-pause mqtt password") from None
    print(f"password saved in {password.path}; restart the bridge to use it "
          "(sudo systemctl restart pi-pause-mqtt)")
    return 0
