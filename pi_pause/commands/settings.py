"""``pi-pause config``: check the settings file, say which one it read, and print the
settings in force."""

from __future__ import annotations

import dataclasses

from pi_pause import config


def config_command(args, settings: config.Settings) -> int:
    if args.reference:
        print(config.reference_markdown())
        return 0
    path = args.config or config.default_config_path()
    # A TOML comment: the output stays a settings file one can copy.
    if args.config is not None or path.exists():
        print(f"# read from {path}")
    else:
        print(f"# no settings file at {path}: these are the defaults (create it to change them)")
    print()
    for section in dataclasses.fields(settings):
        print(f"[{section.name}]")
        for key, value in dataclasses.asdict(getattr(settings, section.name)).items():
            print(f"{key} = {config.toml_value(value)}")
        print()
    return 0
