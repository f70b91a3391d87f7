"""Tell systemd how the service is doing (sd_notify), with the standard library only.

Under a ``Type=notify`` unit, systemd passes the path of a datagram socket in
``$NOTIFY_SOCKET``; the service sends it short ``KEY=value`` lines:

* ``READY=1`` once models are loaded and the service listens (``systemctl start``
  returns only then),
* ``WATCHDOG=1`` regularly, proving the controller thread is alive; if it stops
  for ``WatchdogSec``, systemd restarts the service,
* ``STATUS=...`` a line shown by ``systemctl status``,
* ``STOPPING=1`` when shutting down.

Outside systemd (``pi-pause run`` in a terminal) there is no ``$NOTIFY_SOCKET`` and
every call does nothing. Example::

    notifier = Notifier()
    notifier.ready("listening")
    notifier.watchdog()
"""

from __future__ import annotations

import logging
import os
import socket
import threading

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages to ``$NOTIFY_SOCKET`` (or does nothing without it)."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET", "") if address is None else address
        # A leading '@' names a socket in the abstract namespace (a NUL byte to the kernel).
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields in one datagram; False if not under systemd or it failed."""
        if not self._address:
            return False
        message = "\n".join(fields).encode("utf-8")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(message, self._address)
                return True
            except OSError as exc:
                if not self._warned:  # once: a broken notify socket must not flood the journal
                    log.warning("cannot notify systemd (%s)", exc.strerror or exc)
                    self._warned = True
                return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def watchdog_interval(self) -> float | None:
        """How often to send WATCHDOG=1 (half of ``$WATCHDOG_USEC``), or None without a watchdog."""
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        if not usec.isdigit() or (pid and pid != str(os.getpid())):
            return None
        return int(usec) / 1e6 / 2

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
