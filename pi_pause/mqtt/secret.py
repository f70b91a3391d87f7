"""The broker's password, kept in the state folder (mode 0600), never in the settings file.

MQTT sends the password itself to the broker, so it is stored as written (not hashed,
unlike the settings page's), readable by the service user alone. It is set with
``pi-pause mqtt password`` from stdin, never on a command line (which ``ps`` shows)::

    printf 'the broker password\\n' | sudo -u pi-pause pi-pause mqtt password
"""

from __future__ import annotations

from pathlib import Path

from pi_pause.dirs import write_private
from pi_pause.errors import UserError

PASSWORD_FILE = "mqtt-password"
MAX_PASSWORD = 256


class BrokerPassword:
    """The password for ``[mqtt] user`` at the broker."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / PASSWORD_FILE

    def set(self, password: str) -> None:
        if not password:
            raise UserError(f"the password is empty; type one, or remove {self.path} to use none")
        if len(password) > MAX_PASSWORD or not password.isprintable():
            raise UserError(f"the password must be printable and at most {MAX_PASSWORD} "
                            "characters long; nothing was changed")
        write_private(self.path, password + "\n")

    def read(self) -> str:
        """The password, or "" when none is set."""
        try:
            return self.path.read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the broker password in {self.path} ({exc}); set it "
                            "again with 'pi-pause mqtt password'") from None
