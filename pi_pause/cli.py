"""The ``pi-pause`` command line.

Each sub-command lives in the module that does its job; this file only wires
arguments to them, loads the settings, and turns a :class:`UserError` into one
line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
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
                        help=f"settings file (default: {config.DEFAULT_CONFIG_PATH} if present)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("config", help="check the settings file and print the settings in force")
    p.set_defaults(func=_config)

    # Listening (pi_pause.spotter / pi_pause.listen)
    p = sub.add_parser("detect", help="find the phrase in a WAV recording (same spotter as live)")
    p.add_argument("file", type=Path, metavar="FILE.wav", help="recording (any WAV rate/channels)")
    _listen_options(p)
    p.add_argument("--json", action="store_true",
                   help='one JSON object per detection: {"event": "detected", "phrase", "time"}')
    p.set_defaults(func=_detect)
    p = sub.add_parser("listen", help="listen on the microphone and print each detection")
    _listen_options(p)
    p.set_defaults(func=_listen)
    # Speaking (pi_pause.voice / pi_pause.preview)
    # The service (pi_pause.service)
    # Models (pi_pause.models)
    return parser


def _listen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phrase", action="append", metavar="TEXT",
                   help="phrase to listen for (repeatable; default: the configured phrases)")
    p.add_argument("--engine", choices=config.ENGINES, default=None,
                   help="recogniser (default: [listen] engine)")


def _detect(args, settings: config.Settings) -> int:
    from pi_pause import listen

    return listen.detect_command(args, settings)


def _listen(args, settings: config.Settings) -> int:
    from pi_pause import listen

    return listen.listen_command(args, settings)


def _config(args, settings: config.Settings) -> int:
    import dataclasses

    for section in dataclasses.fields(settings):
        print(f"[{section.name}]")
        for key, value in dataclasses.asdict(getattr(settings, section.name)).items():
            print(f"{key} = {config.toml_value(value)}")
        print()
    return 0
