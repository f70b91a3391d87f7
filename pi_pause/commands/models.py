"""``pi-pause models list`` and ``pi-pause models install NAME``.

The downloading, checking and unpacking live in :mod:`pi_pause.install`; this
module only turns them into what a person reads.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from pi_pause import config
from pi_pause.ear import spotter, vosk_engine
from pi_pause.install.installer import install, is_installed, recover
from pi_pause.install.manifest import MANIFEST, MODELS_DIR, ModelError, find, load_manifest


_ENGINE_NAMES = {"pocketsphinx": "PocketSphinx", "vosk": "Vosk", "two-stage": "two stages",
                 "embedding": "the embedding classifier"}


def describe_missing(settings: config.Settings, manifest: Path = MANIFEST) -> str | None:
    """None when the configured Vosk model is in place (or not wanted); else how to install it.

    Meant for `pi-pause doctor`: one sentence naming the folder and the command.
    """
    if settings.listen.engine == "pocketsphinx":
        return None
    folder = settings.resolve(settings.listen.vosk_model)
    problem = vosk_engine.model_problem(folder)
    if problem is None:
        return None
    if problem != vosk_engine.MISSING:
        problem, again = f"looks incomplete ({problem}), so Vosk cannot load it", " --force"
    elif settings.listen.engine == "auto":
        # What `auto` uses is answered once, by the ear, as `run` and doctor ask it.
        engine = spotter.chosen_engine(settings)
        problem = ("is missing; `auto` listens in two stages without it, and it would add a first stage"
                   if engine == "two-stage" else f"is missing, so `auto` listens with {_ENGINE_NAMES[engine]}")
        again = ""
    else:
        problem, again = "is missing and [listen] engine = \"vosk\" needs it", ""
    try:
        entry = next((m for m in load_manifest(manifest).values()
                      if m.kind == "vosk" and m.folder == folder.name), None)
    except ModelError:
        entry = None
    if entry is None:
        return (f"the Vosk model folder {folder} {problem}; download a Vosk model "
                "from https://alphacephei.com/vosk/models and unpack it there, or install one "
                "from `pi-pause models list` and set [listen] vosk_model to its folder")
    where = "" if folder.parent == MODELS_DIR else f" --models-dir {folder.parent}"
    return (f"the Vosk model folder {folder} {problem}; install it with "
            f"`pi-pause models install {entry.name}{where}{again}` ({entry.size / 1e6:.0f} MB download)")


def models_list_command(args, settings: config.Settings) -> int:
    """`pi-pause models list`: every manifest entry, installed or not, and what `auto` uses."""
    models_dir = Path(args.models_dir)
    models = load_manifest(Path(args.manifest))
    width = max(len(name) for name in models)
    for m in models.values():
        state = "installed" if is_installed(m, models_dir) else "not installed"
        print(f"{m.name:<{width}}  {m.kind:<5}  {m.size / 1e6:4.0f} MB  {state:<13}  {m.description}")
    print(f"\nmodels folder: {models_dir}")
    vosk_folder = settings.resolve(settings.listen.vosk_model)
    engine = spotter.chosen_engine(settings)
    how = "`auto` uses" if settings.listen.engine == "auto" else "[listen] engine ="
    detail = f" ({vosk_folder})" if engine == "vosk" else ""
    if engine == "two-stage":
        from pi_pause.ear import first_stages

        detail = "; proposed by " + "; ".join(first_stages.describe(
            settings, settings.listen.phrases, spotter.trained_models_dir(settings)))
    print(f"listening: {how} {engine}{detail}")
    hint = describe_missing(settings, Path(args.manifest))
    if hint:
        print(f"  {hint}")
    voice = settings.voice.model or config.DEFAULT_VOICE
    print(f"speaking: {voice} (pi-pause voice lists the packaged voices; [voice] model may "
          "also name an installed .onnx)")
    return 0


def models_install_command(args, settings: config.Settings) -> int:
    """`pi-pause models install NAME [--from FILE] [--force]`."""
    models_dir = Path(args.models_dir)
    model = find(load_manifest(Path(args.manifest)), args.name)
    with contextlib.suppress(OSError):  # finish a cut-off install first, so "installed" is true
        recover(models_dir, model.folder)
    if is_installed(model, models_dir) and not args.force:
        print(f"{model.name} is already installed in {models_dir / model.folder} "
              "(add --force to install it again)")
        return 0
    folder = install(model, models_dir, sources=args.sources or [], progress_stream=sys.stderr)
    print(f"installed {model.name} in {folder}")
    if model.kind == "piper":
        onnx = next(f.filename for f in model.files if f.filename.endswith(".onnx"))
        print(f"to speak with it, set [voice] model = \"{folder / onnx}\"")
    elif folder != settings.resolve(settings.listen.vosk_model):
        print(f"to listen with it, set [listen] vosk_model = \"{folder}\"")
    return 0
