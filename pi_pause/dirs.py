"""Where pi-pause may write: the configured folders, or the user's own.

The service keeps rendered clips in ``/var/cache/pi-pause`` and small state in
``/var/lib/pi-pause`` (systemd creates both for it). A person running
``pi-pause say`` on a laptop usually cannot write there, so we fall back to the
XDG folders in their home (``~/.cache/pi-pause``, ``~/.local/state/pi-pause``)
and say so once. A folder the couple chose in the config is never moved behind
their back: if it cannot be written, that is an error naming the key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pi_pause import config

log = logging.getLogger(__name__)
_told: set[str] = set()
DEFAULTS = config.PathSettings()


def cache_dir(settings: config.Settings) -> Path:
    """A writable folder for rendered clips."""
    fallback = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pi-pause"
    return _writable(settings, "cache", fallback)


def state_dir(settings: config.Settings) -> Path:
    """A writable folder for small state (which prompt variant was spoken last)."""
    fallback = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local/state") / "pi-pause"
    return _writable(settings, "state", fallback)


def clip_folder(settings: config.Settings) -> Path:
    """Where the voice's clips are cached: :func:`cache_dir`, or, when no folder can be
    written, the configured one all the same. The clip cache then keeps what it renders
    in memory (it cannot store it): a pause still speaks. Said once."""
    try:
        return cache_dir(settings)
    except config.ConfigError as exc:
        if f"cache {exc}" not in _told:  # once per folder
            _told.add(f"cache {exc}")
            log.warning("%s; until then voice clips are kept in memory only", exc)
        return settings.resolve(settings.paths.cache_dir)


def state_file(settings: config.Settings, name: str) -> Path | None:
    """Where the service keeps the small state file ``name``, or None to keep it in
    memory only: a state folder that cannot be written (a read-only SD card, wrong
    permissions) must not stop the button, the light or the schedule. Said once."""
    try:
        folder = state_dir(settings)
    except config.ConfigError as exc:
        if f"state {exc}" not in _told:  # once per folder
            _told.add(f"state {exc}")
            log.warning("%s; until then nothing is remembered across a restart", exc)
        return None
    return folder / name


def remove_stale_temporaries(folder: Path) -> int:
    """Delete ``*.PID.tmp`` files left in ``folder`` by a process that no longer runs
    (killed mid-write, or a power cut); :func:`write_atomically` makes them. Returns
    how many went. Files of a live process (``pi-pause render`` beside the service)
    are left alone."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for path in entries:
        parts = path.name.rsplit(".", 2)
        if len(parts) != 3 or parts[2] != "tmp" or not parts[1].isdigit():
            continue
        if int(parts[1]) != os.getpid() and _process_alive(int(parts[1])):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    if removed:
        log.info("removed %d unfinished temporary file(s) from %s", removed, folder)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as another user's process
    return True


def _writable(settings: config.Settings, what: str, fallback: Path) -> Path:
    key = f"{what}_dir"
    configured = getattr(settings.paths, key)
    wanted = settings.resolve(configured)
    chosen = configured != getattr(DEFAULTS, key)
    for candidate in (wanted,) if chosen else (wanted, fallback):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK | os.X_OK):
            if candidate != wanted and str(wanted) not in _told:
                _told.add(str(wanted))
                log.info("%s folder %s is not writable; using %s", what, wanted, candidate)
            return candidate
    if chosen:
        raise config.ConfigError(f"[paths] {key} = {config.toml_value(configured)} cannot be "
                                 f"written; fix its permissions or choose another folder")
    raise config.ConfigError(f"[paths] no writable {what} folder: tried {wanted} and {fallback}; "
                             f"set [paths] {key} to a folder you can write")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by this user alone (0600 from the first byte), then rename
    it into place: a reader sees the old file or the new one, never half of one. For
    secrets kept in the state folder (the settings page's password, the broker's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write, flush to the disk, then rename: a reader (or a power cut) sees the
    old file or the new one, never half of one. When the write fails (a full disk)
    the temporary file is removed and the error raised; one left by a kill is
    cleaned at the next start (:func:`remove_stale_temporaries`). ``private``: readable
    by this user alone (0600 from the first byte), as the couple's enrolled voices are."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if private:
            tmp.unlink(missing_ok=True)  # O_CREAT keeps an existing file's mode
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        # A full disk (ENOSPC) or a read-only folder: leave nothing half-written behind.
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # make the rename itself durable
        finally:
            os.close(fd)
    except OSError:
        pass
