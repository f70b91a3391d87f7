"""The list of downloadable models: ``models/manifest.toml``, read and checked.

Each entry pins its files by official address, exact size and sha256, so that
`pi-pause models install` can refuse anything that is not byte-for-byte the
file the manifest names. Reading it is kept apart from installing (models.py)
so the doctor and the listener can ask "which model is this folder?" cheaply::

    shipped = load_manifest()
    find(shipped, "vosk-small-en-us").folder    # 'vosk-model-small-en-us-0.15'
"""

from __future__ import annotations

import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pi_pause import config
from pi_pause.errors import UserError

MODELS_DIR = config.PROJECT_ROOT / "models"
MANIFEST = MODELS_DIR / "manifest.toml"
KINDS = ("vosk", "piper")
ARCHIVES = ("zip", "tar", "none")


class ModelError(UserError):
    """A model cannot be installed or found; the message says what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file, pinned by its exact size and sha256."""

    url: str
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.url).path.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class Model:
    """One entry of the manifest."""

    name: str
    kind: str
    description: str
    folder: str
    archive: str
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def required(self) -> list[str]:
        """Files whose presence shows the install is complete and of the right kind."""
        if self.kind == "vosk":
            return ["am/final.mdl"]
        return [f.filename for f in self.files]


def load_manifest(path: Path = MANIFEST) -> dict[str, Model]:
    """The manifest's models by name, or a :class:`ModelError` naming the bad entry."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"{path}: cannot read the model manifest ({exc})") from None
    models = {}
    for i, entry in enumerate(data.get("model", []), 1):
        where = f"{path}: model #{i} ({entry.get('name', 'no name')})"
        try:
            model = Model(
                name=_text(entry, "name"), kind=_text(entry, "kind", KINDS),
                description=_text(entry, "description"), folder=_text(entry, "folder"),
                archive=_text(entry, "archive", ARCHIVES),
                files=tuple(RemoteFile(_text(f, "url"), _size(f), _sha(f)) for f in entry["files"]))
        except KeyError as exc:
            raise ModelError(f"{where}: lacks {exc}; see the comment at the top of the manifest") from None
        except (TypeError, ValueError) as exc:
            raise ModelError(f"{where}: {exc}; see the comment at the top of the manifest") from None
        if not model.files or (model.archive != "none" and len(model.files) != 1):
            raise ModelError(f"{where}: an archive entry needs exactly one file, others at least one")
        if "/" in model.folder or model.folder.startswith("."):
            raise ModelError(f"{where}: folder must be a plain folder name")
        if model.name in models:
            raise ModelError(f"{where}: the name is used twice; give each model its own name")
        models[model.name] = model
    return models


def _text(table: dict, key: str, allowed: tuple[str, ...] = ()) -> str:
    value = table[key]
    if not isinstance(value, str) or not value or (allowed and value not in allowed):
        raise ValueError(f"'{key}' must be " + (f"one of {', '.join(allowed)}" if allowed
                                                else "a non-empty string"))
    return value


def _size(table: dict) -> int:
    if not isinstance(table["size"], int) or table["size"] <= 0:
        raise ValueError("'size' must be the file's size in bytes")
    return table["size"]


def _sha(table: dict) -> str:
    value = table["sha256"]
    if value != "" and (len(value) != 64 or set(value) - set("0123456789abcdef")):
        raise ValueError("'sha256' must be 64 lower-case hex digits (or \"\" when unknown)")
    return value


def find(models: dict[str, Model], name: str) -> Model:
    """A model by its name (or by the folder it installs into)."""
    for model in models.values():
        if name in (model.name, model.folder):
            return model
    raise ModelError(f"no model called '{name}'; choose one of {', '.join(models)} "
                     "(`pi-pause models list` describes them)")
