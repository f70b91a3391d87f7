"""Speech models you can download: ``pi-pause models list`` and ``models install NAME``.

pi-pause works out of the box with the models inside its Python packages
(PocketSphinx for listening, the en_US-joe-medium Piper voice for speaking).
Better ones are too big to ship, so ``models/manifest.toml`` lists them with
their official address, exact size and sha256, and this module installs them::

    pi-pause models install vosk-small-en-us        # download, check, unpack
    pi-pause models install vosk-small-en-us --from ~/vosk-model-small-en-us-0.15.zip
    pi-pause models list                            # what is here, what `auto` uses

An install never leaves a half-made model behind: the download goes to
``models/.partial/`` (and resumes from there), is checked against the manifest's
size and sha256 *before* it is unpacked, is unpacked into a hidden folder next to
its destination, and only then renamed into place. An existing install is moved
aside only once the new one is complete, and is put back if anything fails.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from pi_pause.install import download, unpack
from pi_pause.install.manifest import MANIFEST, MODELS_DIR, Model, ModelError, RemoteFile, find, load_manifest

__all__ = ["MANIFEST", "MODELS_DIR", "Model", "ModelError", "RemoteFile", "find",
           "install", "is_installed", "load_manifest", "recover"]


def is_installed(model: Model, models_dir: Path = MODELS_DIR) -> bool:
    """Whether ``model``'s folder is in ``models_dir`` with the files that make it usable."""
    folder = models_dir / model.folder
    return all((folder / name).is_file() for name in model.required())


def install(model: Model, models_dir: Path = MODELS_DIR, *, sources: list[Path] = (),
            progress_stream=None) -> Path:
    """Download (or take from ``sources``), verify and install ``model``; return its folder.

    Replaces an existing install of the same model only once the new one is complete.
    """
    try:
        return _install(model, models_dir, list(sources), progress_stream)
    except OSError as exc:  # a full SD card or a folder we may not write to: say so, in one line
        hint = ("free some space and run the command again" if exc.errno == errno.ENOSPC
                else "check that folder's owner and permissions, or choose another with --models-dir")
        raise ModelError(f"cannot install {model.name} in {models_dir}: "
                         f"{exc.strerror or exc}; {hint}") from None


def _install(model: Model, models_dir: Path, sources: list[Path], progress_stream) -> Path:
    for f in model.files:
        if not f.sha256:
            raise ModelError(f"no checksum is known for {model.name}; refusing to install "
                             f"unverified files (add its sha256 to the manifest, or download "
                             f"{f.url} yourself and unpack it into models/{model.folder})")
    models_dir.mkdir(parents=True, exist_ok=True)
    recover(models_dir, model.folder)
    files = _matched(model, sources) if sources else _downloaded(model, models_dir, progress_stream)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.folder}.", suffix=".new", dir=models_dir))
    try:
        if model.archive == "none":
            root = staging / "content"
            root.mkdir()
            place = shutil.copyfile if sources else os.replace  # never move the user's own file
            for f, path in zip(model.files, files):
                place(path, root / f.filename)
        else:
            unpack.unpack(files[0], model.archive, staging)
            root = unpack.single_root(staging)
        missing = [name for name in model.required() if not (root / name).is_file()]
        if missing:
            raise ModelError(f"{files[0].name} does not hold a {model.kind} model "
                             f"(no {missing[0]} inside); nothing was installed")
        target = _swap_in(root, models_dir / model.folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not sources:
        for path in files:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # tidy: drop .partial/ once nothing is pending
            (models_dir / ".partial").rmdir()
    return target


def _downloaded(model: Model, models_dir: Path, stream) -> list[Path]:
    """Each file of ``model``, downloaded (or resumed) into models/.partial/ and verified."""
    paths = []
    for f in model.files:
        stem = model.name if len(model.files) == 1 else f"{model.name}--{f.filename}"
        part = models_dir / ".partial" / f"{stem}.part"
        progress = download.Progress(f"downloading {f.filename}", stream)
        try:
            download.fetch(f.url, part, f.size, progress=progress)
        except download.Unreachable as exc:
            kept = " (the partial download is kept and resumes next time)" if part.exists() else ""
            urls = " and ".join(g.url for g in model.files)
            froms = " ".join("--from FILE" for _ in model.files)
            raise ModelError(f"{exc}{kept}; connect the Pi to the internet, or download {urls} "
                             f"on another computer, copy {'it' if len(model.files) == 1 else 'them'} "
                             f"to the Pi and run "
                             f"`pi-pause models install {model.name} {froms}`") from None
        except download.Interrupted as exc:
            raise ModelError(f"the download of {f.filename} kept breaking off ({exc}); the partial "
                             f"file is kept: run the same command again to resume") from None
        except download.WrongSize as exc:
            raise ModelError(f"{f.url} now offers {exc.offered} bytes, not the {f.size} the "
                             "manifest expects; the file has changed upstream, so it was not "
                             "installed") from None
        _verify(part, f, discard=True)
        paths.append(part)
    return paths


def _matched(model: Model, sources: list[Path]) -> list[Path]:
    """The local files given with --from, in manifest order, each verified."""
    if len(model.files) == 1:
        if len(sources) != 1:
            raise ModelError(f"{model.name} is one file: give it with a single --from FILE")
        by_file = {model.files[0]: Path(sources[0])}
    else:
        named = {Path(s).name: Path(s) for s in sources}
        wanted = [f.filename for f in model.files]
        if sorted(named) != sorted(wanted):
            raise ModelError(f"{model.name} needs these files, each with --from: "
                             f"{', '.join(wanted)}")
        by_file = {f: named[f.filename] for f in model.files}
    for f, path in by_file.items():
        if not path.is_file():
            raise ModelError(f"{path}: no such file; give the path of the copied {f.filename}")
        _verify(path, f, discard=False)
    return [by_file[f] for f in model.files]


def _verify(path: Path, f: RemoteFile, *, discard: bool) -> None:
    """Check size and sha256; a bad download is deleted so the next try starts clean."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    if size == f.size:
        with open(path, "rb") as fh:
            while block := fh.read(1024 * 1024):
                digest.update(block)
    if size == f.size and digest.hexdigest() == f.sha256:
        return
    if discard:
        path.unlink(missing_ok=True)
    found = f"{size} bytes" if size != f.size else f"sha256 {digest.hexdigest()[:12]}..."
    fate = "the download was discarded; try again" if discard else "nothing was installed"
    raise ModelError(f"checksum mismatch for {f.filename}: expected {f.size} bytes with sha256 "
                     f"{f.sha256[:12]}..., got {found}; {fate}")


def _swap_in(new: Path, target: Path) -> Path:
    """Rename ``new`` to ``target``; an old ``target`` is set aside first and removed last.

    Each rename is atomic. Between the two there is a moment with no ``target``;
    if power fails right then, :func:`recover` puts the old install back next time.
    """
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        if old:
            os.rename(old, target)
        raise
    if old and old.is_symlink():
        old.unlink()
    elif old:
        shutil.rmtree(old, ignore_errors=True)
    return target


def recover(models_dir: Path, folder: str) -> None:
    """Tidy up after an install that was cut off (power loss): restore or remove leftovers."""
    target = models_dir / folder
    for leftover in sorted(models_dir.glob(f".{folder}.*.old")):
        if not target.exists():
            os.rename(leftover, target)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in models_dir.glob(f".{folder}.*.new"):
        shutil.rmtree(leftover, ignore_errors=True)
