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
