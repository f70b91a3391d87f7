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


def write_atomically(path: Path, data: bytes) -> None:
    """Write, flush to the disk, then rename: a reader (or a power cut) sees the
    old file or the new one, never half of one."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # make the rename itself durable
        finally:
            os.close(fd)
    except OSError:
        pass
