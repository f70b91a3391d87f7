"""How much memory does ``pi-pause detect`` take on an hour-long recording?

It writes a WAV of ``--minutes`` minutes (44.1 kHz stereo 16-bit, as a phone or a
laptop records: about 635 MB for an hour) made of real synthesised speech (an
argument with the phrase in it) over quiet noise, then runs ``pi-pause detect``
on it under GNU time and reports its peak resident memory (``%M``) and how long it
took. (Not ``RUSAGE_CHILDREN``: on Linux a child's maxrss includes the memory of the
parent it was forked from, here one with Piper loaded.) Run:

    .venv/bin/python benchmarks/detect_memory.py [--minutes 60] [--engine pocketsphinx]

The file is written a block at a time and deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pi_pause import wav  # noqa: E402
from tests import speech  # noqa: E402

RATE = 44_100


def write_recording(path: Path, minutes: float) -> int:
    """A long stereo recording: speech with the phrase, then quiet, over and over."""
    scene = speech.join(speech.english("Fine, let's take a bus then!"),
                        speech.english("Let's take a pause."),
                        speech.english("I will make us some tea."))
    scene = wav.resample(scene, speech.RATE, RATE)
    rng = np.random.default_rng(1)
    block = np.concatenate([scene, np.zeros(RATE * 20, np.float32)])  # speech, then 20 s quiet
    total = int(minutes * 60 * RATE)
    phrases = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        written = 0
        while written < total:
            part = block[: total - written]
            noisy = part + rng.normal(0, 0.003, len(part)).astype(np.float32)
            out.writeframes(wav.to_int16(np.stack([noisy, noisy * 0.8], axis=1)).tobytes())
            written += len(part)
            phrases += len(part) == len(block)
    return phrases


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--engine", default="pocketsphinx")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.wav"
        phrases = write_recording(path, args.minutes)
        size = path.stat().st_size
        env = dict(os.environ, PYTHONPATH=str(ROOT), GPIOZERO_PIN_FACTORY="mock")
        started = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kb %M", sys.executable, "-m",
                                 "pi_pause", "detect", str(path), "--json", "--engine", args.engine],
                                capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - started
        peak = re.search(r"peak-rss-kb (\d+)", result.stderr)
        peak_mb = int(peak.group(1)) / 1024 if peak else float("nan")
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    found = len(result.stdout.splitlines())
    print(f"{args.minutes:g} min, {size / 1e6:.0f} MB WAV (44.1 kHz stereo), engine {args.engine}: "
          f"peak RSS {peak_mb:.0f} MB, {seconds:.0f} s, {found} detections "
          f"({phrases} phrases in the file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
