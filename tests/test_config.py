import pytest

from pi_pause import config
from pi_pause.config import ConfigError


def test_empty_file_gives_safe_defaults():
    settings = config.parse("")
    assert settings.listen.phrases == ("let's take a pause",)
    assert settings.pause.break_minutes == 20
    assert settings.checkin.days == config.DAYS


def test_a_phrase_may_be_in_another_script_for_a_vosk_model_of_that_language():
    settings = config.parse('[listen]\nphrases = ["잠깐 쉬자", "ça suffit"]\n')
    assert settings.listen.phrases == ("잠깐 쉬자", "ça suffit")


def test_values_are_parsed_into_typed_settings():
    settings = config.parse('''
        [listen]
        phrases = ["let's take a pause", "time out please"]
        engine = "pocketsphinx"
        [pause]
        break_minutes = 30
        [voice]
        length_scale = 1
        [checkin]
        days = ["sat", "sun"]
    ''')
    assert settings.listen.phrases == ("let's take a pause", "time out please")
    assert settings.listen.engine == "pocketsphinx"
    assert settings.pause.break_minutes == 30
    assert settings.voice.length_scale == 1.0 and isinstance(settings.voice.length_scale, float)
    assert settings.checkin.days == ("sat", "sun")


@pytest.mark.parametrize("text, expected", [
    ("[listen]\nphrase = 'x'", "[listen] unknown key 'phrase'; allowed keys: engine, phrases"),
    ("[sound]\nvolume = 1", "unknown section [sound]; allowed sections: listen"),
    ("[pause]\nbreak_minutes = 5", "[pause] break_minutes = 5 is not allowed; use a whole number from 20 to 1440"),
    ("[pause]\nbreak_minutes = 20.5", "break_minutes = 20.5 is not allowed"),
    ("[listen]\nengine = 'whisper'", "engine = \"whisper\" is not allowed; use one of 'auto', 'two-stage', 'vosk', 'pocketsphinx'"),
    ("[listen]\nphrases = []", "phrases = [] is not allowed"),
    ("[listen]\nphrases = ['Take a PAUSE!']", "lower-case phrases"),
    ("[listen]\nphrases = ['pause 2']", "lower-case phrases"),
    ("[listen]\nphrases = ['  ']", "lower-case phrases"),
    ("[checkin]\ntime = '9pm'", "time = \"9pm\" is not allowed; use a 24-hour time"),
    ("[checkin]\ndays = ['monday']", "use a list of days from mon, tue"),
    ("[checkin]\nenabled = 'yes'", "enabled = \"yes\" is not allowed; use true or false"),
    ("[gpio]\nled_pin = true", "led_pin = true is not allowed"),
    ("listen = 3", "'listen' must be a section written as [listen]"),
    ("[listen\n", "not valid TOML"),
])
def test_bad_config_names_key_value_and_what_is_allowed(text, expected):
    with pytest.raises(ConfigError) as err:
        config.parse(text, source="c.toml")
    message = str(err.value)
    assert expected in message
    assert message.startswith("c.toml: ")
    assert "\n" not in message


def test_reference_documents_every_setting():
    rows = config.reference()
    keys = {key for key, *_ in rows}
    assert "[pause] break_minutes" in keys and "[listen] phrases" in keys
    assert all(description for *_, description in rows)


def test_bad_config_file_is_one_line_and_exit_status_2(cli, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[pause]\nbreak_minutes = 'soon'\n")
    result = cli("--config", str(path), "config")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "break_minutes" in result.stderr and "Traceback" not in result.stderr


def test_missing_config_file_says_so(cli, tmp_path):
    result = cli("--config", str(tmp_path / "nope.toml"), "config")
    assert result.returncode == 2
    assert "no such config file" in result.stderr


@pytest.mark.parametrize("value, device", [("", None), ("2", 2), (" 3 ", 3), ("USB PnP", "USB PnP")])
def test_a_sound_device_setting_is_an_index_a_name_or_the_default(value, device):
    assert config.sound_device(value) == device


def test_without_etc_config_the_default_is_the_users_own_settings_file(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", tmp_path / "etc" / "config.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))
    assert config.default_config_path() == tmp_path / "home-config" / "pi-pause" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.default_config_path() == tmp_path / "home" / ".config" / "pi-pause" / "config.toml"
    # The Pi's file, when there is one, stays the default (the service's behaviour is unchanged).
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "config.toml").write_text("")
    assert config.default_config_path() == tmp_path / "etc" / "config.toml"


def test_load_reads_the_users_settings_file_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", tmp_path / "etc" / "config.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config.load() == config.Settings()  # no file yet: the defaults
    (tmp_path / "pi-pause").mkdir()
    (tmp_path / "pi-pause" / "config.toml").write_text("[pause]\nbreak_minutes = 25\n")
    assert config.load().pause.break_minutes == 25


def test_config_says_which_file_it_read(cli, tmp_path):
    home = tmp_path / "config-home"
    env = {"XDG_CONFIG_HOME": str(home)}
    result = cli("config", env=env)
    assert result.returncode == 0, result.stderr
    mine = home / "pi-pause" / "config.toml"
    assert f"# no settings file at {mine}: these are the defaults" in result.stdout
    mine.parent.mkdir(parents=True)
    mine.write_text("[pause]\nbreak_minutes = 25\n")
    result = cli("config", env=env)
    assert result.stdout.startswith(f"# read from {mine}\n")
    assert "break_minutes = 25" in result.stdout
    other = tmp_path / "other.toml"
    other.write_text("[pause]\nbreak_minutes = 30\n")
    result = cli("--config", str(other), "config", env=env)  # --config still wins
    assert result.stdout.startswith(f"# read from {other}\n") and "break_minutes = 30" in result.stdout
