"""Changing the settings file from a program, as carefully as a person would by hand.

The settings page changes a few values in ``/etc/pi-pause/config.toml``. It must
never lose the couple's file, its comments or its layout, and never write a value
the service would refuse. So a change is made with a style-preserving TOML editor
(tomlkit), the whole new text is checked by the one settings parser
(:func:`pi_pause.config.parse`) before anything is written, the previous file is
kept beside it as ``config.toml.bak``, and the new one replaces it atomically::

    SettingsFile(path).change({("checkin", "time"): "21:30"})   # -> the new Settings

A refused change raises :class:`~pi_pause.config.ConfigError` with the same one-line
message ``pi-pause config`` gives, and leaves the file as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import tomlkit

from pi_pause import config
from pi_pause.dirs import write_atomically

Change = dict[tuple[str, str], object]


class SettingsFile:
    """One settings file (it may not exist yet: then every key has its default)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> config.Settings:
        return config.load(self.path) if self.path.exists() else config.Settings()

    def text_with(self, changes: Change) -> str:
        """The file's text with ``changes`` made: comments, order and layout kept."""
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise config.ConfigError(f"{self.path}: cannot read config file ({exc})") from None
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise config.ConfigError(f"{self.path}: not valid TOML ({exc}); fix it by hand first") from None
        for (section, key), value in changes.items():
            if section not in doc:
                doc.add(tomlkit.nl())
                doc.add(section, tomlkit.table())
            doc[section][key] = list(value) if isinstance(value, tuple) else value
        return tomlkit.dumps(doc)

    def change(self, changes: Change) -> config.Settings:
        """Make ``changes``, or refuse them in one line; returns the settings now in the file."""
        text = self.text_with(changes)
        settings = config.parse(text, source=str(self.path))  # refused here, nothing written
        try:
            mode = None
            if self.path.exists():
                mode = self.path.stat().st_mode & 0o777
                shutil.copy2(self.path, self.path.with_name(self.path.name + ".bak"))
            else:  # a laptop's first change: ~/.config/pi-pause may not exist yet
                self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, text.encode("utf-8"))
            if mode is not None:
                os.chmod(self.path, mode)  # the service must still be able to read it
        except OSError as exc:
            raise config.ConfigError(f"{self.path}: cannot write the settings ({exc.strerror or exc}); "
                                     "nothing was changed") from None
        return settings
