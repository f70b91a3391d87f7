"""Unpacking a model archive without letting it write outside its folder.

An archive is a list of names, and a name like ``../../home/pi/.bashrc``, an
absolute path, or a symbolic link to ``/etc`` would let it write anywhere the
installing user can. The archives we install are sha256-checked first, so this
is a second line of defence: every entry is checked *before* anything is
written, and one bad entry refuses the whole archive. Example::

    unpack(Path("model.zip"), "zip", staging)   # raises UnsafeArchive on "../x"
    root = single_root(staging)                 # "vosk-model-.../" inside, if any
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from pi_pause.errors import UserError


class UnsafeArchive(UserError):
    """An archive entry would land outside the folder it is unpacked into."""


class BadArchive(UserError):
    """The file is not a readable archive of the expected type."""


def unpack(archive: Path, kind: str, dest: Path) -> None:
    """Unpack ``archive`` (``kind`` "zip" or "tar") into the existing folder ``dest``."""
    try:
        if kind == "zip":
            _unzip(archive, dest)
        elif kind == "tar":
            _untar(archive, dest)
        else:
            raise ValueError(f"unknown archive type {kind!r}")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise BadArchive(f"{archive.name} is not a readable {kind} archive ({exc})") from None


def single_root(folder: Path) -> Path:
    """The archive's one top folder if it has exactly one (as Vosk zips do), else ``folder``."""
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return folder


def _unzip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        links = {}
        for info in zf.infolist():
            _check_name(info.filename, dest)
            if stat.S_ISLNK(info.external_attr >> 16):
                target = zf.read(info).decode("utf-8", "replace")
                _check_link(info.filename, target, dest)
                links[info.filename] = target
        for info in zf.infolist():  # every entry is known to be safe: now write
            path = dest / info.filename
            if info.filename in links:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(links[info.filename], path)
            elif info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(path, "wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)


def _untar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, "r:*") as tf:
        members = tf.getmembers()
        for m in members:
            _check_name(m.name, dest)
            if m.issym():
                _check_link(m.name, m.linkname, dest)
            elif m.islnk():  # a hard link names another member, from the archive's root
                _check_name(m.linkname, dest)
            elif not (m.isfile() or m.isdir()):
                raise UnsafeArchive(f"archive entry {m.name!r} is a device or pipe; refusing to unpack")
        # The "data" filter (Python >= 3.11.4) re-checks all of the above and drops
        # set-user-ID bits and foreign owners; our own checks word the error first.
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - older Pythons
            tf.extractall(dest, members=members)


def _check_name(name: str, dest: Path) -> None:
    """Refuse absolute names, ``..`` steps, and anything resolving outside ``dest``."""
    path = PurePosixPath(name)
    if not name or path.is_absolute():
        raise UnsafeArchive(f"archive entry {name!r} has an absolute path; refusing to unpack")
    if ".." in path.parts:
        raise UnsafeArchive(f"archive entry {name!r} points outside its folder; refusing to unpack")
    if not _inside(dest / name, dest):
        raise UnsafeArchive(f"archive entry {name!r} points outside its folder; refusing to unpack")


def _check_link(name: str, target: str, dest: Path) -> None:
    """Refuse a symbolic link whose target is absolute or leaves ``dest``."""
    where = os.path.normpath(os.path.join(os.path.dirname(os.path.join(dest, name)), target))
    if os.path.isabs(target) or not _inside(Path(where), dest):
        raise UnsafeArchive(f"archive entry {name!r} is a link to {target!r} outside its folder; "
                            "refusing to unpack")


def _inside(path: Path, dest: Path) -> bool:
    root = os.path.realpath(dest)
    return os.path.commonpath([root, os.path.realpath(path)]) == root
