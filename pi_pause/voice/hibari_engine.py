"""hibari behind the speech-engine seam: the "heart" voice, packaged in its wheel.

hibari (PyPI ``hibari-tts``, Apache-2.0) is a small English synthesiser distilled
from Kokoro-82M; its "heart" voice (from Kokoro's af_heart, an American woman's
voice) ships inside the wheel, 24 kHz, about 8 MB. hibari's other voices are
downloaded from the internet the first time they are asked for, and pi-pause
never goes online to speak, so only "heart" is offered: the model file is taken
from the package itself, checked to be the packaged one, and handed to hibari by
path, which leaves hibari no reason to fetch anything::

    engine = HibariEngine(length_scale=1.55)
    speech = engine.speak("Breathe in.")     # hibari loads here, once (about a second)

Its pace: hibari's ``speed`` divides every duration; pi-pause's ``length_scale``
multiplies them, so ``speed = 1 / (length_scale * pace)``, with ``pace`` the
heart voice's own correction (:data:`pi_pause.voice.catalogue.PACKAGED`) that
brings it to joe's words a minute at the same setting. The noise part of its
sound is seeded, so a clip rendered twice is the same clip.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import threading
from pathlib import Path

import numpy as np

from pi_pause.voice.engine import Speech, VoiceError

log = logging.getLogger(__name__)

PACKAGED_VOICE = "heart"
SPEEDS = (0.5, 2.0)  # what hibari accepts
_SEED = 0


class HibariEngine:
    """The packaged "heart" voice at a pace (``length_scale`` times ``pace``: above 1 is slower)."""

    def __init__(self, length_scale: float = 1.55, pace: float = 1.0):
        self.model = packaged_model()
        self.length_scale = length_scale
        self.speed = min(max(1.0 / (length_scale * pace), SPEEDS[0]), SPEEDS[1])
        self.sample_rate = 24_000
        self._tts = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._tts is not None

    def identity(self) -> str:
        st = self.model.stat()
        return "|".join(("hibari", importlib.metadata.version("hibari-tts"), PACKAGED_VOICE,
                         str(self.model.resolve()),
                         f"{st.st_size}:{st.st_mtime_ns}", f"speed={self.speed:.4f}", f"seed={_SEED}"))

    def speak(self, sentence: str) -> Speech:
        with self._lock:
            tts = self._load()
            audio = tts(sentence, speed=self.speed, seed=_SEED).astype(np.float32)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio /= peak  # as Piper's normalize_audio does, so trimming treats both alike
        return Speech(audio, self.sample_rate)

    def unload(self) -> None:
        with self._lock:
            self._tts = None

    def _load(self):
        if self._tts is None:
            from hibari import Hibari

            log.info("loading hibari voice %s", PACKAGED_VOICE)
            try:
                # The model by path: hibari's own voice lookup could download.
                self._tts = Hibari(voice=PACKAGED_VOICE, model=str(self.model), threads=1)
            except Exception as exc:  # onnxruntime raises its own, varied types
                reason = " ".join(str(exc).split())[:120]
                raise VoiceError(f"the heart voice cannot load ({reason}); reinstall it with "
                                 "./bootstrap.sh run, or set [voice] model = \"joe\"") from None
        return self._tts


def packaged_model() -> Path:
    """The heart voice's model file inside the hibari package (never a download). Found
    without importing hibari, which brings scipy (~30 MB) into a service that only plays."""
    spec = importlib.util.find_spec("hibari")
    if spec is None or not spec.submodule_search_locations:
        raise VoiceError("the heart voice needs hibari (hibari-tts), which is not installed; "
                         "run ./bootstrap.sh run again, or set [voice] model = \"joe\"")
    assets = Path(spec.submodule_search_locations[0]) / "assets"
    try:
        entry = json.loads((assets / "voices.json").read_text(encoding="utf-8"))[PACKAGED_VOICE]
    except (OSError, ValueError, KeyError):
        entry = {}
    if not entry.get("bundled"):
        raise VoiceError("this hibari release does not carry the heart voice in its package; "
                         "install hibari-tts 0.2, or set [voice] model = \"joe\"")
    path = assets / entry["file"]
    if not path.is_file():
        raise VoiceError(f"{path}: the heart voice's model is missing from the hibari package; "
                         "reinstall hibari-tts, or set [voice] model = \"joe\"")
    return path
