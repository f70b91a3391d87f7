"""The Whisper verifier's CPU per candidate, as the two-stage spotter spends it.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.verifier_cost --corpus CORPUS --negatives 20 --positives 10

Streams the first N negative and M positive files of the test split through
``open_spotter(Settings(), engine="two-stage")`` (verification inline, as ``detect``
does) and prints the candidates per hour and the verifier's process CPU per
candidate (median, p90, mean). Process CPU, because ctranslate2 computes on threads
of its own; inline, nothing else runs while a window is judged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import config, wav  # noqa: E402
from pi_pause.ear import spotter  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--negatives", type=int, default=20)
    parser.add_argument("--positives", type=int, default=10)
    args = parser.parse_args(argv)
    folder = args.corpus / "test"
    files = json.loads((folder / "manifest.json").read_text())["files"]
    chosen = ([f for f in files if f["kind"] == "negative"][:args.negatives]
              + [f for f in files if f["kind"] == "positive"][:args.positives])
    seconds = 0.0
    with spotter.open_spotter(config.Settings(), engine="two-stage") as s:
        for f in chosen:
            samples = wav.read(folder / f["file"])
            seconds += len(samples) / wav.RATE
            s.reset()
            for frame in wav.frames(samples, 1600):
                s.feed(frame)
            s.finish()
        stats = s.stats()
        cpu = np.array(stats["verifier_cpu"])
        print(f"{s.engine_name}: {len(chosen)} files, {seconds / 60:.1f} min, {stats['candidates']} candidates "
              f"({stats['candidates'] / (seconds / 3600):.0f}/h); verifier CPU per candidate: median "
              f"{np.median(cpu):.3f} s, p90 {np.percentile(cpu, 90):.3f} s, mean {cpu.mean():.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
