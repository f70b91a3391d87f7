"""The ``pi-pause`` command line.

Each family of sub-commands has its own module in :mod:`pi_pause.commands`
(``listen``: detect and listen, ``speak``: say and render, ``trigger``: trigger
and status, ...); this file only wires arguments to their handlers, loads the
settings, and turns a :class:`UserError` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pi_pause import __version__, config
from pi_pause.errors import UserError

log = logging.getLogger("pi_pause")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        settings = config.load(args.config)
        return args.func(args, settings) or 0
    except UserError as exc:
        print(f"pi-pause: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pi-pause", description=(
        "An offline voice companion: say your agreed phrase or press the button, "
        "and it guides a calm pause."))
    parser.add_argument("--version", action="version", version=f"pi-pause {__version__}")
    parser.add_argument("--config", type=Path, default=None,
                        help=f"settings file (default: {config.DEFAULT_CONFIG_PATH} if present, "
                             f"else {config.user_config_path()})")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("config", help="check the settings file and print the settings in force")
    p.add_argument("--reference", action="store_true",
                   help="print every setting with its default as a Markdown table (the README's)")
    p.set_defaults(func=_lazy("settings", "config_command"))

    # Listening (pi_pause.ear.spotter / pi_pause.commands.listen)
    p = sub.add_parser("detect", help="find the phrase in a WAV recording (same spotter as live)")
    p.add_argument("file", type=Path, metavar="FILE.wav", help="recording (any WAV rate/channels)")
    _listen_options(p)
    p.add_argument("--json", action="store_true",
                   help='one JSON object per detection: {"event": "detected", "phrase", "time"}')
    p.set_defaults(func=_lazy("listen", "detect_command"))
    p = sub.add_parser("listen", help="listen on the microphone and print each detection")
    _listen_options(p)
    p.set_defaults(func=_lazy("listen", "listen_command"))
    p = sub.add_parser("phrase", help="work with the couple's phrase")
    phrase_sub = p.add_subparsers(dest="phrase_command", required=True, metavar="ACTION")
    p = phrase_sub.add_parser("check", help="will this phrase be heard? (the same code that listens "
                              "decides) syllables, how common its words are")
    p.add_argument("text", nargs="+", help="the phrase, e.g. let's take a pause")
    p.add_argument("--json", action="store_true",
                   help="one JSON object: ok, phrases, engine, problem, plain (the settings page uses it)")
    p.add_argument("--each", action="store_true",
                   help="every TEXT is a phrase of its own (listened for together), not one phrase's words")
    p.set_defaults(func=_lazy("phrase", "phrase_check_command"))
    p = phrase_sub.add_parser("train", help="train the 'embedding' spotter's model for a phrase "
                              "(synthesised speech only; about an hour on two PC cores, a few hours on a Pi 4)")
    p.add_argument("text", nargs="+", help="the phrase, e.g. let's take a pause")
    p.add_argument("--force", action="store_true", help="retrain even if a model exists")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="parts made at once (default: one per CPU core)")
    p.set_defaults(func=_lazy("phrase", "phrase_train_command"))
    p = phrase_sub.add_parser("enroll", help="teach it one person's voice saying the phrase: takes "
                              "from the running service's microphone, or from recordings")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE.wav",
                   help="recordings of the phrase, one take each (any rate and channels); "
                        "none: the service records the takes")
    p.add_argument("--speaker", required=True, metavar="NAME",
                   help="the person's name as you call them (1-20 letters), e.g. Sam")
    p.add_argument("--takes", type=int, default=5, metavar="N",
                   help="good takes needed (default 5, at least 3)")
    p.set_defaults(func=_lazy("phrase", "phrase_enroll_command"))
    p = phrase_sub.add_parser("forget", help="delete an enrolled voice (or, with no --speaker, all)")
    p.add_argument("--speaker", metavar="NAME", help="whose voice to forget (default: everyone's)")
    p.set_defaults(func=_lazy("phrase", "phrase_forget_command"))
    # Speaking (pi_pause.voice.voice / pi_pause.commands.preview)
    p = sub.add_parser("say", help="speak TEXT with the configured voice (or write it to a WAV)")
    p.add_argument("text", nargs="+", help="the words to speak")
    p.add_argument("--out", type=Path, help="write a WAV file instead of playing")
    p.set_defaults(func=_lazy("speak", "say_command"))
    p = sub.add_parser("voice", help="list the voices (joe, heart), or choose one in the settings file")
    p.add_argument("name", nargs="?", metavar="NAME",
                   help='"joe", "heart" or the path of a Piper .onnx voice')
    p.set_defaults(func=_lazy("speak", "voice_command"))
    p = sub.add_parser("render", help="render every prompt clip into the cache, prune stale ones")
    p.add_argument("--keep-stale", action="store_true", help="do not remove clips no longer used")
    p.add_argument("--prompts", type=Path, default=None, help="prompt folder (default: prompts/)")
    p.set_defaults(func=_lazy("speak", "render_command"))
    p = sub.add_parser("preview", help="a whole session as one WAV, plus the LED timeline")
    p.add_argument("script", choices=("pause", "return", "checkin", "sample", "enroll"))
    p.add_argument("--out", type=Path, required=True, help="the WAV file to write")
    p.add_argument("--step", type=float, default=0.5, help="seconds between LED rows (default 0.5)")
    p.add_argument("--prompts", type=Path, default=None, help="prompt folder (default: prompts/)")
    p.set_defaults(func=_lazy("preview", "preview_command"))
    # The service (pi_pause.service.wiring)
    p = sub.add_parser("run", help="run the service: listen, watch the button, keep the schedule")
    p.add_argument("--input", type=Path, metavar="FILE.wav",
                   help="feed this recording in real time instead of the microphone")
    p.add_argument("--simulate", action="store_true",
                   help="use no hardware even if present: mock GPIO (Enter is the button, "
                        "the LED is printed), no speaker")
    p.add_argument("--sound-dir", type=Path, metavar="DIR",
                   help="write what it says into DIR/pi-pause-sound.wav (when it stops) "
                        "instead of playing it")
    p.set_defaults(func=_lazy("run", "run_command"))
    p = sub.add_parser("trigger", help="ask the running service to start a pause or check-in, "
                                       "or to stop")
    p.add_argument("what", choices=("pause", "checkin", "stop"))
    p.set_defaults(func=_lazy("trigger", "trigger_command"))
    p = sub.add_parser("status", help="show what the running service is doing")
    p.add_argument("--json", action="store_true", help="print the raw JSON reply")
    p.set_defaults(func=_lazy("trigger", "status_command"))
    p = sub.add_parser("web", help="the settings page on the home network (or: web password)")
    p.add_argument("action", nargs="?", choices=("serve", "password"), default="serve",
                   help="serve the page (default), or set its password")
    p.add_argument("--listen", default="*:8080", metavar="HOST:PORT",
                   help="where to listen (default: every address of this machine, port 8080)")
    p.set_defaults(func=_lazy("web", "web_command"))
    p = sub.add_parser("mqtt", help="the Home Assistant bridge over MQTT (or: mqtt password)")
    p.add_argument("action", nargs="?", choices=("serve", "password"), default="serve",
                   help="run the bridge (default), or set the broker's password from stdin")
    p.set_defaults(func=_lazy("mqtt", "mqtt_command"))
    p = sub.add_parser("doctor", help="check config, audio devices, models, voice, GPIO and "
                                      "folders; print a fix for each problem")
    p.set_defaults(func=_lazy("doctor", "doctor_command"))
    # Models (pi_pause.commands.models, over pi_pause.install)
    from pi_pause.install import manifest  # small: only the default paths are needed here

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--models-dir", default=str(manifest.MODELS_DIR), metavar="DIR",
                       help="folder models are installed in (default: %(default)s)")
    where.add_argument("--manifest", default=str(manifest.MANIFEST), metavar="FILE",
                       help="list of downloadable models (default: %(default)s)")
    p = sub.add_parser("models", help="list and install speech models (Vosk, Piper voices)")
    actions = p.add_subparsers(dest="models_action", required=True, metavar="ACTION")
    q = actions.add_parser("list", parents=[where], help="show the models, which are installed, "
                           "and which engine `auto` will use")
    q.set_defaults(func=_lazy("models", "models_list_command"))
    q = actions.add_parser("install", parents=[where], help="download, verify (sha256) and "
                           "install a model listed by `pi-pause models list`")
    q.add_argument("name", metavar="NAME", help="the model's name, as in `pi-pause models list`")
    q.add_argument("--from", dest="sources", type=Path, action="append", metavar="FILE",
                   help="install from a copied download instead of the internet (still "
                        "sha256-checked); repeat for a voice's .onnx and .onnx.json")
    q.add_argument("--force", action="store_true", help="install again even if already installed")
    q.set_defaults(func=_lazy("models", "models_install_command"))
    return parser


def _lazy(module: str, name: str):
    """The handler ``name`` of ``pi_pause.commands.<module>``, imported only when its command runs.

    Every handler is called ``<command>_command(args, settings)``. Importing a command's
    module brings in its wing (the speech engines, Piper, gpiozero), so only the one that
    runs is imported: ``--help``, ``status`` and ``trigger`` stay instant on a Pi.
    """
    def handler(args, settings: config.Settings) -> int:
        import importlib

        return getattr(importlib.import_module(f"pi_pause.commands.{module}"), name)(args, settings)
    return handler


def _listen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phrase", action="append", metavar="TEXT",
                   help="phrase to listen for (repeatable; default: the configured phrases)")
    p.add_argument("--engine", choices=config.ENGINES, default=None,
                   help="recogniser (default: [listen] engine)")
