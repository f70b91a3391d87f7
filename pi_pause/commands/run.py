"""``pi-pause run``: the service in the foreground, until SIGTERM or Ctrl-C.

Under systemd this is the unit's ``ExecStart``; in a terminal it is the same
service, with times on each log line. What the service is made of is in
:mod:`pi_pause.service.wiring`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from pi_pause import config
from pi_pause.service.wiring import Options, Service

log = logging.getLogger("pi_pause")


def run_command(args, settings: config.Settings) -> int:
    if not os.environ.get("JOURNAL_STREAM"):
        # In a terminal, say when things happened; the journal adds its own time.
        for handler in logging.getLogger().handlers:
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    path = args.config or config.default_config_path()
    if args.config is not None or path.exists():
        log.info("settings from %s", path)
    else:
        log.info("settings: the defaults (no %s)", path)
    options = Options(simulate=args.simulate, input=args.input, sound_dir=args.sound_dir,
                      config=args.config)
    service = Service(settings, options)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    # systemctl reload pi-pause: read the settings again, off the signal handler's thread
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
        target=service.reload, name="reload", daemon=True).start())
    try:
        service.start(stopping)
        code = service.wait(stopping)
    finally:
        log.info("stopping")
        service.stop()
    return code
