"""Who may reach the settings page: the Pi's own names and addresses, the couple's password.

The page listens on the home network, so it trusts nothing it is sent:

- **Host and Origin.** A request is served only when its ``Host`` is the Pi itself
  (``localhost``, its host name, ``NAME.local``) or an address on a private, link-local
  or loopback network, so a web site cannot reach it through DNS rebinding; a change
  (any POST) must also carry an ``Origin`` (or ``Referer``) naming that same host.
- **The password** is stored as a salted scrypt hash (Werkzeug's
  ``generate_password_hash``) in the state folder, never in the settings file.
- **Login attempts** are limited: after :data:`MAX_FAILURES` wrong passwords from one
  address, it must wait :data:`LOCKOUT_SECONDS`.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.security import check_password_hash, generate_password_hash

from pi_pause.dirs import write_private
from pi_pause.errors import UserError

PASSWORD_FILE = "web-password"
SECRET_FILE = "web-secret"
MIN_PASSWORD = 8
MAX_FAILURES = 5
LOCKOUT_SECONDS = 300.0


def own_names() -> set[str]:
    """The names this Pi answers to on the home network."""
    host = socket.gethostname().lower()
    return {"localhost", host, f"{host}.local", host.split(".")[0] + ".local"}


def host_allowed(host: str, names: set[str]) -> bool:
    """Is ``host`` (a Host header, maybe with a port) this Pi, by name or local address?"""
    try:
        hostname = urlsplit(f"//{host}").hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    if not hostname:
        return False
    if hostname in names:
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def same_origin(origin: str, host: str) -> bool:
    """Does an Origin or Referer header name exactly the host the request was sent to?"""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


class Passwords:
    """The couple's password, hashed in the state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / PASSWORD_FILE

    @property
    def is_set(self) -> bool:
        return self.path.is_file()

    def set(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password is {len(password)} characters long; use at least "
                            f"{MIN_PASSWORD}, e.g. four unrelated words")
        write_private(self.path, generate_password_hash(password, method="scrypt") + "\n")

    def check(self, password: str) -> bool:
        try:
            stored = self.path.read_text().strip()
        except OSError:
            return False
        return bool(stored) and check_password_hash(stored, password)


def session_secret(state_dir: Path) -> bytes:
    """The key that signs session cookies, made once and kept (logins survive a restart)."""
    path = Path(state_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    secret = secrets.token_bytes(32)
    write_private(path, secret.hex())
    return secret


class LoginLimiter:
    """At most :data:`MAX_FAILURES` wrong passwords per address, then a wait."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, address: str) -> float:
        """How long ``address`` must wait before trying again (0: it may try now)."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if now - t < LOCKOUT_SECONDS]
            self._failures[address] = recent
            if len(recent) < MAX_FAILURES:
                return 0.0
            return LOCKOUT_SECONDS - (now - recent[0])

    def failed(self, address: str) -> None:
        with self._lock:
            self._failures.setdefault(address, []).append(self._clock())

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
