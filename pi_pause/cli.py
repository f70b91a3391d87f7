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
    # Speaking (pi_pause.voice / pi_pause.preview)
    p = sub.add_parser("say", help="speak TEXT with the configured voice (or write it to a WAV)")
    p.add_argument("text", nargs="+", help="the words to speak")
    p.add_argument("--out", type=Path, help="write a WAV file instead of playing")
    p.set_defaults(func=_say)
    p = sub.add_parser("render", help="render every prompt clip into the cache, prune stale ones")
    p.add_argument("--keep-stale", action="store_true", help="do not remove clips no longer used")
    p.add_argument("--prompts", type=Path, default=None, help="prompt folder (default: prompts/)")
    p.set_defaults(func=_render)
    p = sub.add_parser("preview", help="a whole session as one WAV, plus the LED timeline")
    p.add_argument("script", choices=("pause", "return", "checkin"))
    p.add_argument("--out", type=Path, required=True, help="the WAV file to write")
    p.add_argument("--step", type=float, default=0.5, help="seconds between LED rows (default 0.5)")
    p.add_argument("--prompts", type=Path, default=None, help="prompt folder (default: prompts/)")
    p.set_defaults(func=_preview)
    # The service (pi_pause.service)
    # Models (pi_pause.models)
    return parser


def _config(args, settings: config.Settings) -> int:
    import dataclasses

    for section in dataclasses.fields(settings):
        print(f"[{section.name}]")
        for key, value in dataclasses.asdict(getattr(settings, section.name)).items():
            print(f"{key} = {config.toml_value(value)}")
        print()
    return 0


def _say(args, settings):
    from pi_pause.render import say_command

    return say_command(args, settings)


def _render(args, settings):
    from pi_pause.render import render_command

    return render_command(args, settings)


def _preview(args, settings):
    from pi_pause.preview import preview_command

    return preview_command(args, settings)
