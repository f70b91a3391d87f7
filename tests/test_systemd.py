"""The systemd unit passes systemd's own checks and keeps its hardening."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "pi-pause.service"
SYSUSERS = ROOT / "systemd" / "pi-pause.sysusers"


def unit_with_real_command(tmp_path: Path) -> Path:
    """The unit with ExecStart pointed at this machine's Python (verify checks it exists)."""
    text = UNIT.read_text()
    text = re.sub(r"(?m)^ExecStart=.*$", f"ExecStart={sys.executable} -m pi_pause run", text)
    out = tmp_path / "pi-pause.service"
    out.write_text(text)
    return out


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    assert shutil.which("systemd-analyze"), "bootstrap.sh test installs systemd"
    result = subprocess.run(["systemd-analyze", "verify", str(unit_with_real_command(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "pi-pause.service" not in result.stderr  # no warnings about our unit either


def test_unit_is_a_hardened_notify_service_with_a_watchdog():
    d = directives()
    expected = {
        "Type": "notify", "Restart": "on-failure", "User": "pi-pause",
        "PrivateNetwork": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "NoNewPrivileges": "yes", "StateDirectory": "pi-pause", "CacheDirectory": "pi-pause",
        "RuntimeDirectory": "pi-pause",
    }
    for key, value in expected.items():
        assert d.get(key) == [value], key
    assert set(d["SupplementaryGroups"][0].split()) == {"audio", "gpio"}
    assert int(d["WatchdogSec"][0]) >= 20
    assert int(d["TimeoutStartSec"][0]) >= 120  # model loading on a Pi
    configparser.ConfigParser(strict=False, interpolation=None).read_string(
        UNIT.read_text())  # well-formed sections


def test_unit_paths_match_the_default_settings():
    from pi_pause.config import PathSettings

    paths = PathSettings()
    assert paths.state_dir == "/var/lib/pi-pause"
    assert paths.cache_dir == "/var/cache/pi-pause"
    assert Path(paths.socket).parent == Path("/run/pi-pause")


def test_exposure_is_low_by_systemd_analyze_security(tmp_path):
    result = subprocess.run(["systemd-analyze", "security", "--offline=true",
                             str(unit_with_real_command(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for pi-pause.service: ([\d.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 1.0  # docs/service.md records the figure


def test_sysusers_snippet_creates_the_user_in_audio_and_gpio(tmp_path):
    if not shutil.which("systemd-sysusers"):
        pytest.fail("systemd-sysusers missing; bootstrap.sh test installs systemd")
    (tmp_path / "etc").mkdir()
    result = subprocess.run(["systemd-sysusers", f"--root={tmp_path}", "--dry-run", str(SYSUSERS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "Creating user 'pi-pause'" in out
    assert "Creating group 'gpio'" in out and "Creating group 'audio'" in out


WEB_UNIT = ROOT / "systemd" / "pi-pause-web.service"


def test_systemd_analyze_verify_accepts_the_settings_page_unit(tmp_path):
    text = re.sub(r"(?m)^ExecStart=.*$", f"ExecStart={sys.executable} -m pi_pause web", WEB_UNIT.read_text())
    unit = tmp_path / "pi-pause-web.service"
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "pi-pause-web.service" not in result.stderr


def test_the_settings_page_unit_has_no_devices_and_only_the_local_network():
    d = {}
    for line in WEB_UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            d.setdefault(key, []).append(value)
    assert d["PrivateDevices"] == ["yes"] and d["DevicePolicy"] == ["closed"]
    assert "SupplementaryGroups" not in d  # neither audio nor gpio
    assert d["IPAddressDeny"] == ["any"] and "192.168.0.0/16" in d["IPAddressAllow"][0]
    assert d["ReadWritePaths"] == ["/etc/pi-pause"] and d["User"] == ["pi-pause"]
    assert "[Install]" in WEB_UNIT.read_text()


MQTT_UNIT = ROOT / "systemd" / "pi-pause-mqtt.service"


def test_systemd_analyze_verify_accepts_the_bridge_unit(tmp_path):
    text = re.sub(r"(?m)^ExecStart=.*$", f"ExecStart={sys.executable} -m pi_pause mqtt", MQTT_UNIT.read_text())
    unit = tmp_path / "pi-pause-mqtt.service"
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "pi-pause-mqtt.service" not in result.stderr


def test_the_bridge_unit_has_no_devices_writes_nothing_and_reaches_only_the_home_network():
    d = {}
    for line in MQTT_UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            d.setdefault(key, []).append(value)
    assert d["PrivateDevices"] == ["yes"] and d["DevicePolicy"] == ["closed"]
    assert "SupplementaryGroups" not in d and "ReadWritePaths" not in d
    assert d["IPAddressDeny"] == ["any"] and "192.168.0.0/16" in d["IPAddressAllow"][0]
    assert d["User"] == ["pi-pause"] and d["ProtectSystem"] == ["strict"]
    assert d["ExecStart"] == ["/opt/pi-pause/.venv/bin/pi-pause mqtt"]
    assert "[Install]" in MQTT_UNIT.read_text()
