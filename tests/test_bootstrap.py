"""bootstrap.sh: the README's `run` command, on a Raspberry Pi and elsewhere.

A build machine is no Pi, so the Pi set-up runs here as a dry run
(``PI_PAUSE_DRY_RUN=1 PI_PAUSE_TARGET=pi``): it prints its plan and every
command that would change something, and changes nothing. ``PI_PAUSE_SYSROOT``
points it at a made-up root file system, so each test decides what is
"already installed" there. The script runs from a copy of the checkout, so
whatever is in this checkout's own .venv or models/ does not matter.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from getpass import getuser
from pathlib import Path

import pytest

from pi_pause import config
from pi_pause.install import manifest
from tests.conftest import ROOT

PI_PACKAGES = ("libportaudio2", "python3-venv", "python3-lgpio")


@pytest.fixture
def checkout():
    # Under /tmp on purpose: a real install there is refused (see the test below).
    where = Path(tempfile.mkdtemp(prefix="pi-pause-checkout-", dir="/tmp"))
    for name in ("bootstrap.sh", "pyproject.toml"):
        shutil.copy2(ROOT / name, where / name)
    for folder in ("systemd", "etc"):
        shutil.copytree(ROOT / folder, where / folder)
    shutil.copytree(ROOT / "pi_pause", where / "pi_pause",
                    ignore=shutil.ignore_patterns("__pycache__"))
    yield where
    shutil.rmtree(where)


def bootstrap(checkout: Path, sysroot: Path, target: str = "pi", stdin=subprocess.DEVNULL,
              **more_env) -> subprocess.CompletedProcess:
    env = dict(os.environ, PI_PAUSE_DRY_RUN="1", PI_PAUSE_TARGET=target,
               PI_PAUSE_SYSROOT=str(sysroot), **more_env)
    env.pop("SUDO_USER", None)
    return subprocess.run(["bash", str(checkout / "bootstrap.sh"), "run"], capture_output=True,
                          text=True, timeout=60, env=env, stdin=stdin)


def plan_and_commands(out: str) -> tuple[str, list[str]]:
    """The plan (everything before the first step starts) and the shown commands."""
    first_step = out.index("\n==> ", out.index("This will:")) if "This will:" in out else 0
    commands = [line.strip().removeprefix("would run: ") for line in out.splitlines()
                if line.strip().startswith("would run: ")]
    return out[:first_step], commands


def admin() -> str:
    return "" if os.geteuid() == 0 else getuser()


def installed(checkout: Path, sysroot: Path) -> None:
    """Everything a finished set-up leaves behind, in the checkout and under sysroot."""
    dpkg = sysroot / "var/lib/dpkg"
    dpkg.mkdir(parents=True)
    (dpkg / "status").write_text("".join(
        f"Package: {name}\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1\n"
        f"Maintainer: someone\nDescription: {name}\n\n"
        for name in PI_PACKAGES + ("alsa-utils",)))
    etc = sysroot / "etc"
    (etc / "pi-pause").mkdir(parents=True)
    (etc / "pi-pause" / "config.toml").write_text("[pause]\nbreak_minutes = 25\n")
    # The service user owns the folders below: it has the id of whoever runs the test.
    (etc / "passwd").write_text(f"pi-pause:x:{os.getuid()}:999::/var/lib/pi-pause:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"audio:x:29:pi-pause\ngpio:x:997:pi-pause\npi-pause:x:999:{admin()}\n")
    (etc / "sysusers.d").mkdir()
    shutil.copy(checkout / "systemd" / "pi-pause.sysusers", etc / "sysusers.d" / "pi-pause.conf")
    units = etc / "systemd" / "system"
    (units / "multi-user.target.wants").mkdir(parents=True)
    unit = (checkout / "systemd" / "pi-pause.service").read_text()
    (units / "pi-pause.service").write_text(unit.replace("/opt/pi-pause", str(checkout)))
    web = (checkout / "systemd" / "pi-pause-web.service").read_text()
    (units / "pi-pause-web.service").write_text(web.replace("/opt/pi-pause", str(checkout)))
    bridge = (checkout / "systemd" / "pi-pause-mqtt.service").read_text()
    (units / "pi-pause-mqtt.service").write_text(bridge.replace("/opt/pi-pause", str(checkout)))
    (units / "multi-user.target.wants" / "pi-pause.service").symlink_to(units / "pi-pause.service")
    for folder in ("var/lib/pi-pause", "var/cache/pi-pause", "usr/local/bin"):
        (sysroot / folder).mkdir(parents=True)
    for folder in ("var/lib/pi-pause", "var/cache/pi-pause"):
        (sysroot / folder).chmod(0o750)
    (sysroot / "usr/local/bin/pi-pause").symlink_to(checkout / ".venv/bin/pi-pause")
    venv = checkout / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(shutil.which("python3"))
    (venv / "pyvenv.cfg").write_text("include-system-site-packages = true\n")
    digest = hashlib.sha256((checkout / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".pi-pause-installed").write_text(digest + "\n")
    model = checkout / "models" / "vosk-model-small-en-us-0.15" / "am"
    model.mkdir(parents=True)
    (model / "final.mdl").write_bytes(b"")


def test_pi_dry_run_shows_the_plan_first_then_every_command_and_changes_nothing(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)
    assert result.returncode == 0, result.stderr
    plan, commands = plan_and_commands(result.stdout)
    assert "dry run: nothing is changed" in plan
    for package in PI_PACKAGES:
        assert package in plan
    assert "--system-site-packages, so it sees apt's lgpio" in plan
    assert "create the system user pi-pause in the groups audio and gpio" in plan
    assert "write a default /etc/pi-pause/config.toml" in plan
    assert "enable pi-pause at boot" in plan and "start pi-pause now" in plan
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert "/usr/bin/python3 -m venv --system-site-packages .venv" in commands
    assert ".venv/bin/pi-pause models install vosk-small-en-us" in commands
    assert f"{sudo}install -m 0644 etc/pi-pause/config.toml /etc/pi-pause/config.toml" in commands
    assert f"{sudo}systemd-sysusers /etc/sysusers.d/pi-pause.conf" in commands
    assert f"{sudo}systemctl daemon-reload" in commands
    assert f"{sudo}systemctl enable pi-pause" in commands
    assert f"{sudo}systemctl start --no-block pi-pause" in commands
    doctor = f"{sudo}runuser -u pi-pause -- env -C /var/lib/pi-pause {checkout}/.venv/bin/pi-pause doctor"
    assert doctor in commands
    # The clips are rendered into the service's cache, as the service user, before it starts.
    render = doctor.replace(" doctor", " render")
    assert commands.index(render) < commands.index(f"{sudo}systemctl start --no-block pi-pause")
    assert "journalctl -u pi-pause -f" in result.stdout
    assert not (checkout / ".venv").exists() and list(tmp_path.iterdir()) == []


def test_the_settings_page_is_installed_but_stays_off_unless_asked_for(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)  # no terminal: nobody to ask
    plan, commands = plan_and_commands(result.stdout)
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert ("install the settings page's unit /etc/systemd/system/pi-pause-web.service "
            "(off until you turn it on)") in plan
    web_unit = [c for c in commands if "pi-pause-web.service" in c]
    assert len(web_unit) == 1 and web_unit[0].startswith(f"{sudo}install -m 0644 ")
    assert not [c for c in commands if "enable" in c and "pi-pause-web" in c]
    assert 'the settings page is off; README.md, "A settings page", says how to turn it on' in result.stdout


def test_the_home_assistant_bridge_is_installed_but_stays_off_unless_asked_for(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)  # no terminal: nobody to ask
    plan, commands = plan_and_commands(result.stdout)
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert ("install the Home Assistant bridge's unit /etc/systemd/system/pi-pause-mqtt.service "
            "(off until you turn it on)") in plan
    unit = [c for c in commands if "pi-pause-mqtt.service" in c]
    assert len(unit) == 1 and unit[0].startswith(f"{sudo}install -m 0644 ")
    assert not [c for c in commands if "enable" in c and "pi-pause-mqtt" in c]
    assert "the Home Assistant bridge is off; docs/home-assistant.md says how to turn it on" in result.stdout


def test_the_tests_get_a_real_mqtt_broker():
    text = (ROOT / "bootstrap.sh").read_text()
    line = next(l for l in text.splitlines() if l.startswith('[ "$what" = test ] && packages+=('))
    assert "mosquitto" in re.findall(r"[\w-]+", line.split("packages+=(")[1])


def test_a_pi_set_up_asks_which_voice_at_a_terminal_and_otherwise_keeps_joe(checkout, tmp_path):
    sudo = "" if os.geteuid() == 0 else "sudo "
    choose = f"{sudo}{checkout}/.venv/bin/pi-pause --config /etc/pi-pause/config.toml voice"
    quiet = bootstrap(checkout, tmp_path)  # no terminal: nobody to ask
    assert "the voice: joe (a man's voice)" in quiet.stdout
    assert not [c for c in plan_and_commands(quiet.stdout)[1] if c.startswith(choose)]
    for answer, env, chosen in ((b"heart\n", {}, "heart"), (b"\n", {}, "joe"),
                                (b"heart\n", {"PI_PAUSE_YES": "1"}, None)):
        terminal, stdin = os.openpty()
        os.write(terminal, answer)
        try:
            result = bootstrap(checkout, tmp_path, stdin=stdin, **env)
        finally:
            os.close(stdin)
            os.close(terminal)
        commands = [c for c in plan_and_commands(result.stdout)[1] if c.startswith(choose)]
        assert commands == ([f"{choose} {chosen}"] if chosen else []), result.stdout[-600:]
    mine = tmp_path / "etc" / "pi-pause" / "config.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('[voice]\nmodel = "heart"\n')  # chosen before: not asked again
    again = bootstrap(checkout, tmp_path)
    assert "the voice:" not in again.stdout


def assert_ends_with_the_safety_statement(stdout: str) -> None:
    tail = " ".join(stdout.strip().splitlines()[-4:])
    assert tail.startswith("pi-pause is not for abusive situations.")
    assert "800-799-7233" in tail and "text START to 88788" in tail


def test_a_pi_set_up_ends_with_the_safety_statement_and_the_hotline(checkout, tmp_path):
    assert_ends_with_the_safety_statement(bootstrap(checkout, tmp_path).stdout)
    installed(checkout, tmp_path)
    assert_ends_with_the_safety_statement(bootstrap(checkout, tmp_path).stdout)  # nothing to do


def test_an_existing_config_is_never_overwritten(checkout, tmp_path):
    mine = tmp_path / "etc" / "pi-pause" / "config.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('[checkin]\ntime = "20:15"\n')
    result = bootstrap(checkout, tmp_path)
    plan, commands = plan_and_commands(result.stdout)
    assert "your /etc/pi-pause/config.toml (kept as it is, never overwritten)" in plan
    assert "write a default" not in plan
    assert not [c for c in commands if "config.toml" in c]
    assert mine.read_text() == '[checkin]\ntime = "20:15"\n'


def test_a_second_run_changes_nothing_and_an_update_restarts_the_service(checkout, tmp_path):
    installed(checkout, tmp_path)
    first = bootstrap(checkout, tmp_path)
    plan, commands = plan_and_commands(first.stdout)
    assert re.findall(r"^  - (.*)$", plan.split("Already done:")[0], re.M) == [
        "start pi-pause now"]
    stamp = re.search(r"would write (\w+) to (\.venv/\.pi-pause-service)", first.stdout)
    (checkout / stamp.group(2)).write_text(stamp.group(1) + "\n")  # as a real start would

    again = bootstrap(checkout, tmp_path)
    assert "==> already set up; nothing to change" in again.stdout
    _, commands = plan_and_commands(again.stdout)
    assert all(c.split(" -- ")[0].endswith("runuser -u pi-pause") for c in commands), commands

    with open(checkout / "pi_pause" / "service" / "controller.py", "a") as f:
        f.write("# updated\n")  # as after a git pull
    updated = bootstrap(checkout, tmp_path)
    plan, commands = plan_and_commands(updated.stdout)
    assert f"restart pi-pause, so it runs what is in {checkout} now" in plan
    assert any(c.endswith("systemctl restart --no-block pi-pause") for c in commands)


def test_the_installed_unit_runs_this_checkouts_venv(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)
    plan, _ = plan_and_commands(result.stdout)
    assert (f"install the systemd unit /etc/systemd/system/pi-pause.service, running "
            f"{checkout}/.venv/bin/pi-pause run") in plan
    # The plan above would install it as rendered here: is it what systemd gets?
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    rendered = (checkout / "systemd/pi-pause.service").read_text().replace("/opt/pi-pause", str(checkout))
    assert f"ExecStart={checkout}/.venv/bin/pi-pause run" in rendered
    (tmp_path / "etc/systemd/system/pi-pause.service").write_text(rendered)
    plan, _ = plan_and_commands(bootstrap(checkout, tmp_path).stdout)
    assert "install the systemd unit" not in plan


def test_a_checkout_the_service_cannot_see_is_refused_with_the_way_out(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)
    assert f"the service cannot see {checkout}: its unit has PrivateTmp=yes" in result.stderr
    assert "/opt/pi-pause" in result.stderr
    assert "dry run: the plan below is what would happen from a usable folder" in result.stdout


def test_run_elsewhere_than_a_pi_starts_the_service_in_the_foreground(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path, target="dev")
    assert result.returncode == 0, result.stderr
    _, commands = plan_and_commands(result.stdout)
    assert commands[-1] == ".venv/bin/pi-pause run"
    before_start = result.stdout.split("==> starting pi-pause")[0]
    assert_ends_with_the_safety_statement(before_start)
    assert "python3 -m venv .venv" in commands
    assert not [c for c in commands if "systemctl" in c or "apt-get install" in c and "lgpio" in c]


def test_the_shell_scripts_pass_bash_n_and_shellcheck():
    # shellcheck comes with `./bootstrap.sh test` (its apt packages).
    for script in (ROOT / "bootstrap.sh", ROOT / ".ci" / "run", ROOT / "benchmarks" / "arm64.sh"):
        subprocess.run(["bash", "-n", str(script)], check=True)
        lint = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout


def test_bootstrap_installs_the_vosk_model_the_settings_expect():
    text = (ROOT / "bootstrap.sh").read_text()
    name = re.search(r"^vosk_name=(\S+)", text, re.M).group(1)
    folder = re.search(r"^vosk_folder=(\S+)", text, re.M).group(1)
    assert f"models/{manifest.find(manifest.load_manifest(), name).folder}" == folder
    assert folder == config.ListenSettings().vosk_model


def test_default_config_file_parses_to_the_defaults_even_with_every_line_uncommented():
    text = (ROOT / "etc" / "pi-pause" / "config.toml").read_text()
    assert config.parse(text) == config.Settings()
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.M)
    assert uncommented.count("\n[") < uncommented.count(" = ")  # some lines were uncommented
    tomllib.loads(uncommented)
    assert config.parse(uncommented) == config.Settings()


def test_folders_with_the_wrong_mode_or_owner_are_given_back_to_the_service(checkout, tmp_path):
    """A root run of an older set-up left root's 0755 folders: existing is not being ready."""
    installed(checkout, tmp_path)
    (tmp_path / "var/cache/pi-pause").chmod(0o755)
    plan, commands = plan_and_commands(bootstrap(checkout, tmp_path).stdout)
    assert "give them back to it, mode 0750" in plan
    assert any(c.endswith("install -d -o pi-pause -g pi-pause -m 0750 /var/lib/pi-pause "
                          "/var/cache/pi-pause") for c in commands), commands


def test_the_default_settings_file_and_the_setup_guide_carry_the_safety_statement():
    root = Path(__file__).resolve().parent.parent
    for path in (root / "etc/pi-pause/config.toml", root / "docs/setup-pi.md", root / "README.md"):
        text = " ".join(path.read_text().replace("#", " ").replace(">", " ").split())
        assert "not for abusive situations" in text, path
        assert "800-799-7233" in text and "88788" in text, path


def test_run_elsewhere_than_a_pi_gives_the_trial_a_settings_file_of_its_own(checkout, tmp_path):
    """The settings page on a laptop needs a file it may change: the user's own."""
    home = tmp_path / "config-home"
    env = dict(os.environ, PI_PAUSE_DRY_RUN="1", PI_PAUSE_TARGET="dev",
               PI_PAUSE_SYSROOT=str(tmp_path), XDG_CONFIG_HOME=str(home))
    result = subprocess.run(["bash", str(checkout / "bootstrap.sh"), "run"], capture_output=True,
                            text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    mine = home / "pi-pause" / "config.toml"
    _, commands = plan_and_commands(result.stdout)
    assert f"install -D -m 0644 etc/pi-pause/config.toml {mine}" in commands
    assert f"==> settings: {mine}" in result.stdout
    assert "pi-pause web" in result.stdout
    # There already: kept as it is, and still printed.
    mine.parent.mkdir(parents=True)
    mine.write_text("[pause]\nbreak_minutes = 25\n")
    result = subprocess.run(["bash", str(checkout / "bootstrap.sh"), "run"], capture_output=True,
                            text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert not [c for c in plan_and_commands(result.stdout)[1] if str(mine) in c]
    assert f"==> settings: {mine}" in result.stdout


@pytest.mark.parametrize("tool, answer, said", [
    ("getconf", "glibc 2.31", "this system has glibc 2.31; pyopen-wakeword's wheel needs 2.35 or newer"),
    ("python3", "3.9", "this system's Python is 3.9; pi-pause needs 3.11 or newer"),
])
def test_an_older_system_is_named_before_anything_is_installed(checkout, tmp_path, tool, answer, said):
    # Raspberry Pi OS Bullseye: glibc 2.31 and Python 3.9. Stand-ins on PATH answer as it would.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / tool).write_text(f"#!/bin/sh\necho '{answer}'\n")
    (bin_dir / tool).chmod(0o755)
    env = dict(os.environ, PI_PAUSE_DRY_RUN="1", PI_PAUSE_TARGET="dev",
               PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = subprocess.run(["bash", str(checkout / "bootstrap.sh"), "run"], capture_output=True,
                            text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    first, *rest = result.stderr.splitlines()
    assert first == f"pi-pause: {said}."
    assert "Raspberry Pi OS Lite (64-bit), Bookworm or later" in rest[0]
    assert "docs/setup-pi.md" in rest[1]


def test_this_build_machine_is_new_enough(checkout, tmp_path):
    result = bootstrap(checkout, tmp_path)
    assert "pi-pause: this" not in result.stderr
