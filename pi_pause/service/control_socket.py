"""The control socket: ``pi-pause trigger`` and ``pi-pause status`` talk to the service.

The running service listens on a local Unix socket (``[paths] socket``, by default
``/run/pi-pause/control.sock``). A client connects, writes one line of JSON and
reads one line back::

    -> {"command": "pause"}
    <- {"ok": true, "state": "pausing", "message": "pause started"}

Commands: ``pause``, ``checkin``, ``stop`` (the same as a long button press),
``status``, ``reload`` (read the settings file again; also on SIGHUP) and ``sample``
(speak a short sample with the voice in force, when idle; ``sample heart`` and
``sample joe`` with that packaged voice, to hear it before choosing it), and, to teach
it the couple's voices (:mod:`pi_pause.service.enrolling`), ``enroll-take NAME``,
``enroll-finish NAME``, ``enroll-cancel [NAME]``, ``enrolled`` and ``reload-voices``.
That is the whole protocol, so home automation can use it too, e.g.
``echo '{"command": "status"}' | socat - UNIX-CONNECT:/run/pi-pause/control.sock``.

Only the service's user and group may connect: the socket file is mode 0660
and its folder 0750 (add a user to the ``pi-pause`` group to let them in). Nothing
arrives from the network. A request is at most :data:`MAX_REQUEST` bytes and must
arrive, whole, within :data:`REQUEST_SECONDS` (a client trickling bytes is cut off at
that deadline); anything malformed gets an error reply and the server carries on.
Each connection is answered in its own short-lived thread, so a silent or slow
client never delays another; at most :data:`MAX_CLIENTS` are served at once, and
one more is told "busy" at once instead of waiting.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from pi_pause import config
from pi_pause.errors import UserError

log = logging.getLogger(__name__)

SAMPLES = tuple(f"sample {voice}" for voice in config.VOICES)
# Enrollment (pi_pause.service.enrolling): these take a person's name after a space.
NAMED = ("enroll-take", "enroll-finish", "enroll-cancel")
COMMANDS = ("pause", "checkin", "stop", "status", "reload", "sample", *SAMPLES,
            "reload-voices", "enrolled", "enroll-cancel")
MAX_NAME = 60  # a name argument, before the enrollment checks it properly
MAX_REQUEST = 1024
REQUEST_SECONDS = 2.0  # for the whole request, not each read
MAX_CLIENTS = 32      # connections served at once; more are told "busy"
START_HINT = "start it with 'sudo systemctl start pi-pause' or 'pi-pause run'"


class ControlError(UserError):
    """The control socket could not be used; the message says what to do."""


Handler = Callable[[str], dict]


class ControlServer:
    """Serves control requests on a Unix socket, many short connections at once.

    ``handle(command)`` is called in a connection's thread with a valid command
    name and returns the reply (a JSON-able dict with at least ``ok``); it must
    be thread-safe (the controller's ``command`` is).
    """

    def __init__(self, path: Path, handle: Handler) -> None:
        self.path = Path(path)
        self._handle = handle
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, name="control-socket", daemon=True)
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def start(self) -> ControlServer:
        self._prepare_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.bind(str(self.path))
            os.chmod(self.path, 0o660)  # the folder (0750) already keeps others out meanwhile
            sock.listen(128)
            sock.settimeout(0.5)  # wake up now and then to notice close()
        except OSError as exc:
            sock.close()
            raise ControlError(f"cannot create the control socket {self.path} "
                               f"({exc.strerror or exc}); check [paths] socket") from None
        self._sock = sock
        self._thread.start()
        log.info("control socket ready at %s", self.path)
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=3)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            try:
                self.path.unlink()
            except OSError:
                pass

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _prepare_path(self) -> None:
        parent = self.path.parent
        if not parent.exists():
            try:
                parent.mkdir(mode=0o750, parents=True)
            except OSError as exc:
                raise ControlError(f"cannot create {parent} for the control socket "
                                   f"({exc.strerror or exc}); check [paths] socket") from None
        elif not _owned_by_us_or_root(parent):
            raise ControlError(f"{parent} belongs to another user (or is not a folder); "
                               "remove it or choose another [paths] socket")
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlError(f"{self.path} exists and is not a socket; remove it or "
                               "choose another [paths] socket")
        if _answers(self.path):
            raise ControlError(f"another pi-pause is already running (it answers on {self.path}); "
                               "stop it first with 'sudo systemctl stop pi-pause'")
        self.path.unlink()  # left behind by a service that died: safe to replace
        log.info("removed a stale control socket")

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if not self._slots.acquire(blocking=False):
                with conn:  # full: say so now rather than keep this client waiting
                    conn.settimeout(0.1)
                    _reply(conn, {"ok": False, "error": "the service is busy; try again"})
                continue
            try:
                threading.Thread(target=self._serve_one, args=(conn,), name="control-client",
                                 daemon=True).start()
            except RuntimeError:  # no thread to be had: drop this one, keep serving
                self._slots.release()
                conn.close()

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            with conn:
                self._answer(conn)
        except Exception as exc:  # a bad client must never take the server down
            log.error("control request failed (%s: %s)", type(exc).__name__, exc)
            log.debug("details", exc_info=exc)
        finally:
            self._slots.release()

    def _answer(self, conn: socket.socket) -> None:
        try:
            request = _read_line(conn, deadline=time.monotonic() + REQUEST_SECONDS)
        except TimeoutError:
            return _reply(conn, {"ok": False, "error": "request timed out"})
        except ValueError as exc:
            _reply(conn, {"ok": False, "error": str(exc)})
            return _drain(conn)
        try:
            data = json.loads(request)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _reply(conn, {"ok": False, "error": "request is not one line of JSON"})
        command = data.get("command") if isinstance(data, dict) else None
        if not known(command):
            return _reply(conn, {"ok": False,
                                 "error": "unknown command; use one of " + ", ".join(COMMANDS)})
        try:
            reply = self._handle(command)
        except Exception as exc:
            log.error("control command %s failed (%s: %s)", command, type(exc).__name__, exc)
            log.debug("details", exc_info=exc)
            reply = {"ok": False, "error": "the service could not do that; see its log"}
        _reply(conn, reply)


def known(command) -> bool:
    """One of :data:`COMMANDS`, or one of :data:`NAMED` with a name of sensible length."""
    if not isinstance(command, str):
        return False
    verb, space, name = command.partition(" ")
    return command in COMMANDS or (verb in NAMED and bool(space) and 0 < len(name) <= MAX_NAME
                                   and "\n" not in name)


def socket_paths(settings) -> list[Path]:
    """Where the service listens: the configured socket, then, for the default one, a
    per-user fallback used when ``pi-pause run`` may not create /run/pi-pause (not root,
    not under systemd)."""
    from pi_pause.config import PathSettings

    configured = settings.resolve(settings.paths.socket)
    if settings.paths.socket != PathSettings().socket:
        return [configured]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = Path(runtime) if runtime else Path(tempfile.gettempdir())
    return [configured, base / f"pi-pause-{os.getuid()}" / "control.sock"]


def serve(settings, handle: Handler) -> ControlServer:
    """Start the control server on the first usable of :func:`socket_paths`."""
    paths = socket_paths(settings)
    for path in paths:
        try:
            return ControlServer(path, handle).start()
        except ControlError as exc:
            if path == paths[-1] or not _permission_problem(path):
                raise ControlError(str(exc)) from None
            log.info("no permission for %s; using %s instead", path.parent, paths[-1])
    raise AssertionError("unreachable")


def request_service(settings, command: str, timeout: float = 5.0) -> dict:
    """Send ``command`` to the running service, wherever it listens."""
    paths = socket_paths(settings)
    # A folder another user made (say /tmp/pi-pause-1000, made first by someone else)
    # could hold an impostor that reads our commands and lies about the state: skip it.
    existing = [p for p in paths if p.exists() and _owned_by_us_or_root(p.parent)]
    if not existing and len(paths) > 1:  # name every place a service could be (a laptop's too)
        raise ControlError(f"no pi-pause service answers at {' or '.join(map(str, paths))}; "
                           f"is pi-pause running? {START_HINT}")
    return request(existing[0] if existing else paths[0], command, timeout)


def request(path: Path, command: str, timeout: float = 5.0) -> dict:
    """Send one command to the running service and return its reply."""
    path = Path(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    sock.settimeout(timeout)
    try:
        _connect(sock, path, timeout)
        try:
            sock.sendall(json.dumps({"command": command}).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # a busy service answers and closes before reading: its answer is waiting
        line = _read_line(sock, limit=64 * 1024)
        if not line:
            raise ValueError("the connection closed without an answer")
    except (FileNotFoundError, ConnectionRefusedError):
        raise ControlError(f"no pi-pause service answers at {path}; is pi-pause running? "
                           f"{START_HINT}") from None
    except PermissionError:
        raise ControlError(f"not allowed to use {path}; add yourself to the pi-pause group "
                           "('sudo usermod -aG pi-pause $USER', then log in again) or use sudo") from None
    except TimeoutError:
        raise ControlError(f"pi-pause did not answer on {path} within {timeout:g} s; "
                           "see 'journalctl -u pi-pause'") from None
    except (OSError, ValueError) as exc:
        raise ControlError(f"talking to pi-pause on {path} failed ({exc}); is pi-pause running? "
                           f"{START_HINT}") from None
    finally:
        sock.close()
    try:
        reply = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ControlError(f"{path} answered with something that is not pi-pause's reply; "
                           "check [paths] socket") from None
    if not isinstance(reply, dict):
        raise ControlError(f"{path} answered with something that is not pi-pause's reply")
    return reply


def _connect(sock: socket.socket, path: Path, timeout: float) -> None:
    """Connect, waiting for room while the server's queue of new connections is full
    (a Unix socket with a timeout says EAGAIN at once instead of waiting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return sock.connect(str(path))
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError from None
            time.sleep(0.01)


def _read_line(sock: socket.socket, limit: int = MAX_REQUEST,
               deadline: float | None = None) -> bytes:
    """One line of at most ``limit`` bytes; with ``deadline`` (a ``time.monotonic()``),
    the whole line must have come by then, however the client paces its bytes."""
    data = b""
    while b"\n" not in data:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("request timed out")
            sock.settimeout(left)
        chunk = sock.recv(min(4096, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            raise ValueError(f"request longer than {limit} bytes")
    return data.split(b"\n", 1)[0]


def _reply(conn: socket.socket, reply: dict) -> None:
    try:
        conn.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass  # the client left; nothing to tell


def _owned_by_us_or_root(folder: Path) -> bool:
    try:
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid in (os.getuid(), 0)


def _permission_problem(path: Path) -> bool:
    """Is the folder of ``path`` one we may not create or write (rather than broken)?"""
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    return existing is not None and not os.access(existing, os.W_OK | os.X_OK)


def _drain(conn: socket.socket, limit: int = 64 * 1024) -> None:
    """Read (a bounded amount of) what the client still sends, so closing does not
    reset the connection before it has read our error reply."""
    deadline = time.monotonic() + 1.0  # a trickling client must not hold its thread
    try:
        conn.shutdown(socket.SHUT_WR)
        left = limit
        while left > 0 and (wait := deadline - time.monotonic()) > 0:
            conn.settimeout(wait)
            if not (chunk := conn.recv(4096)):
                break
            left -= len(chunk)
    except OSError:
        pass


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
