"""Changing the settings file from a program: comments kept, bad values refused, a backup left."""

from __future__ import annotations

import pytest

from pi_pause import config
from pi_pause.settings_file import SettingsFile

ORIGINAL = """# Our pi-pause settings (we chose 21:00 after a long talk)
[listen]
phrases = ["let's take a pause"]  # the phrase we agreed on

[checkin]
time = "21:00"
days = ["mon", "tue"]
"""


def test_a_change_keeps_comments_and_layout_and_leaves_a_backup(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    path.chmod(0o640)
    settings = SettingsFile(path).change({("checkin", "time"): "21:30", ("pause", "break_minutes"): 25})
    assert settings.checkin.time == "21:30" and settings.pause.break_minutes == 25
    text = path.read_text()
    assert "# Our pi-pause settings (we chose 21:00 after a long talk)" in text
    assert 'phrases = ["let\'s take a pause"]  # the phrase we agreed on' in text
    assert 'time = "21:30"' in text and "[pause]\nbreak_minutes = 25" in text
    assert config.load(path) == settings
    assert (tmp_path / "config.toml.bak").read_text() == ORIGINAL
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] in (["config.toml", "config.toml.bak"],
                                                    ["config.toml.bak", "config.toml"])


def test_a_bad_value_is_refused_in_one_line_and_nothing_is_written(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    with pytest.raises(config.ConfigError) as refused:
        SettingsFile(path).change({("pause", "break_minutes"): 5})
    assert str(refused.value) == (f"{path}: [pause] break_minutes = 5 is not allowed; "
                                  "use a whole number from 20 to 1440")
    assert path.read_text() == ORIGINAL
    assert not (tmp_path / "config.toml.bak").exists()


def test_a_missing_file_is_created_with_just_the_change(tmp_path):
    path = tmp_path / "config.toml"
    SettingsFile(path).change({("listen", "phrases"): ("time for a break",)})
    assert config.load(path).listen.phrases == ("time for a break",)


def test_a_laptops_first_change_creates_its_config_folder(tmp_path):
    """On a laptop the default is ~/.config/pi-pause/config.toml, whose folder may not exist."""
    path = tmp_path / "config-home" / "pi-pause" / "config.toml"
    SettingsFile(path).change({("checkin", "time"): "21:30"})
    assert config.load(path).checkin.time == "21:30"
