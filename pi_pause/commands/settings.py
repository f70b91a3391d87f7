"""``pi-pause config``: check the settings file and print the settings in force."""

from __future__ import annotations

import dataclasses

from pi_pause import config


def config_command(args, settings: config.Settings) -> int:
    if args.reference:
        print(config.reference_markdown())
        return 0
    for section in dataclasses.fields(settings):
        print(f"[{section.name}]")
        for key, value in dataclasses.asdict(getattr(settings, section.name)).items():
            print(f"{key} = {config.toml_value(value)}")
        print()
    return 0
