"""The README is part of the product: its reference must match the code."""

import re

from pi_pause import config
from tests.conftest import ROOT


def test_readme_config_reference_matches_the_settings_dataclasses():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- config-reference:start.*?-->\n(.*?)<!-- config-reference:end -->",
                      readme, re.S)
    assert match, "README lost its config-reference markers"
    assert match.group(1).strip() == config.reference_markdown(), (
        "README config reference is out of date: run scripts/update-readme.py")


def test_readme_gives_the_hotline():
    readme = (ROOT / "README.md").read_text()
    assert "800-799-7233" in readme and "START" in readme and "88788" in readme


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", readme, re.S | re.M)
    assert match, f"README lost its section {title!r}"
    return match.group(1)


def test_trying_it_without_a_pi_says_where_the_settings_are_and_how_to_change_them(monkeypatch):
    text = section("Try it without a Pi")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    home = str(config.user_config_path()).replace(str(config.Path.home()), "~")
    assert home == "~/.config/pi-pause/config.toml" and home in text
    assert "$XDG_CONFIG_HOME/pi-pause/config.toml" in text
    assert "pi-pause config" in text  # which file it read
    assert "pi-pause web password" in text and "pi-pause web --listen" in text
    assert "edit the file" in text


def test_uninstalling_removes_the_settings_page_too():
    text = section("Uninstalling")
    assert "disable --now pi-pause pi-pause-web" in text
    assert "/etc/systemd/system/pi-pause-web.service" in text


def test_how_well_it_hears_leads_with_what_a_couple_can_do():
    text = section("Choosing a phrase")
    entry = text[text.index("- **How well it hears.**"):]
    first_sentence = entry.split(":", 1)[0] + entry.split(":", 1)[1].split(". ", 1)[0]
    assert "press the button" in first_sentence and "say the phrase clearly" in first_sentence
    assert "%" in entry and "docs/benchmarks.md" in entry  # the figures stay
