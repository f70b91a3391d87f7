"""Shared test helpers: running the real command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A laptop trial keeps its settings in ~/.config/pi-pause/config.toml, which pi-pause
# reads by default: the tests (and the commands they start) get an empty config folder.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="pi-pause-test-config-")


def run_cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run ``pi-pause ARGS`` as a user would, from this checkout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), GPIOZERO_PIN_FACTORY="mock")
    env.update(kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "pi_pause", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, **kwargs)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def enrollment_cache(tmp_path_factory):
    """One cache folder for every test that enrolls a voice: voiceprint makes its bank of
    synthetic talk there once (most of a first enrollment's CPU), and later ones reuse it."""
    return tmp_path_factory.mktemp("enrollment-cache")


@pytest.fixture
def mock_pins():
    """gpiozero's mock pin factory with PWM-capable pins, restored afterwards."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    previous = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=MockPWMPin)
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = previous


# The voice tests' shared fixtures (a real Piper voice loaded once per run).
from tests.voice_support import joe_voice, test_prompts, warm_cache  # noqa: E402,F401
