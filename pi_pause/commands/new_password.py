"""Setting a password that pi-pause keeps (the settings page's, the MQTT broker's).

Never from the command line, where other users could read it in the process list: at a
terminal it is typed twice without echo; from a pipe it is the first line of stdin::

    echo 'a long passphrase' | pi-pause web password
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Protocol

from pi_pause.errors import UserError


class Store(Protocol):
    """Where a password is kept (0600, in the state folder)."""

    path: Path

    def set(self, password: str) -> None: ...


def save_new_password(store: Store, prompt: str, command: str) -> str:
    """Read the new password as above and keep it in ``store``; return where it went.
    ``command`` is the one to run again as the service user when the folder is not ours."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise UserError("the two passwords differ; nothing was changed")
    else:
        first = sys.stdin.readline().rstrip("\n")
    try:
        store.set(first)
    except OSError as exc:
        raise UserError(f"cannot write {store.path} ({exc.strerror or exc}); run it as the "
                        f"service user: sudo -u pi-pause {command}") from None
    return str(store.path)
