"""Cache and state folders fall back to the user's own when the system ones are not writable."""

import logging

import pytest

from pi_pause import config, dirs


def test_unwritable_default_folders_fall_back_to_xdg_and_say_so_once(tmp_path, monkeypatch,
                                                                     caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    # the defaults as a normal user sees them: folders only systemd can create
    unwritable = config.PathSettings(cache_dir="/proc/pi-pause-cache",
                                     state_dir="/proc/pi-pause-state")
    monkeypatch.setattr(dirs, "DEFAULTS", unwritable)
    settings = config.Settings(paths=unwritable)
    with caplog.at_level(logging.INFO, logger="pi_pause.dirs"):
        assert dirs.cache_dir(settings) == tmp_path / "xdg-cache" / "pi-pause"
        assert dirs.cache_dir(settings) == tmp_path / "xdg-cache" / "pi-pause"
        assert dirs.state_dir(settings) == tmp_path / "xdg-state" / "pi-pause"
    told = [r.getMessage() for r in caplog.records]
    assert told == [
        f"cache folder /proc/pi-pause-cache is not writable; using {tmp_path}/xdg-cache/pi-pause",
        f"state folder /proc/pi-pause-state is not writable; using {tmp_path}/xdg-state/pi-pause"]


def test_a_folder_the_couple_chose_is_never_moved_behind_their_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    settings = config.parse('[paths]\nstate_dir = "/proc/our-state"\n')
    with pytest.raises(config.ConfigError, match=r'state_dir = "/proc/our-state" cannot be written'):
        dirs.state_dir(settings)
    assert not (tmp_path / "xdg-state").exists()


def test_writable_configured_folders_are_used_as_they_are(tmp_path):
    settings = config.parse(f'[paths]\ncache_dir = "{tmp_path}/c"\nstate_dir = "{tmp_path}/s"\n')
    assert dirs.cache_dir(settings) == tmp_path / "c" and (tmp_path / "c").is_dir()
    assert dirs.state_dir(settings) == tmp_path / "s"


def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    dirs.write_atomically(target, b"new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
