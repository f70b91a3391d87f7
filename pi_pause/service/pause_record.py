"""The break in progress, kept on disk so that a restart does not forget it.

When a pause starts, the device says when the couple will come back together
("back together at twenty to seven"). That promise must survive a crash, a
watchdog restart, ``systemctl restart`` or a power cut: the controller writes
the announced return time here at each change (atomically and synchronously,
before it moves on) and removes it when the pause is over or stopped. After a
restart the controller reads it back and either waits for that time again or,
if it passed while the service was down, gives the return cue at once::

    record = PauseRecord(state_dir / "pause.json")
    record.save(back)        # a pause started: back together at ``back``
    record.load()            # after a restart: the time, or None
    record.clear()           # the pause is over

Only a time is written: nothing about who pressed, what was heard or said.
``None`` as the path keeps nothing (a read-only state folder; tests).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from pi_pause.dirs import write_atomically

log = logging.getLogger(__name__)

FILE_NAME = "pause.json"


class PauseRecord:
    """The announced return time of the pause in progress, in a small JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._warned = False

    def save(self, back: datetime) -> None:
        """Remember that the couple will be back together at ``back`` (an aware time)."""
        self._write(json.dumps({"return_time": back.isoformat()}).encode() + b"\n")

    def clear(self) -> None:
        """Forget the pause: it is over, or was stopped."""
        if self.path is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            self._warn(exc)

    def load(self) -> datetime | None:
        """The return time of a pause that was in progress, or None (also for a damaged file)."""
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            back = datetime.fromisoformat(data["return_time"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring an unreadable record of the pause in progress (%s)", self.path)
            return None
        if back.tzinfo is None:
            log.warning("ignoring a record of the pause in progress without a time zone (%s)",
                        self.path)
            return None
        return back

    def _write(self, data: bytes) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, data)
        except OSError as exc:
            self._warn(exc)

    def _warn(self, exc: OSError) -> None:
        if not self._warned:  # once: a full disk must not fill the journal
            self._warned = True
            log.warning("cannot keep the pause in progress in %s (%s); a restart during "
                        "this break would forget it", self.path, exc.strerror or exc)
