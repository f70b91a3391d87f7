"""False triggers and candidates per hour on hours of household talk, file by file, resumable.

    python -m benchmarks.corpus --out ~/.cache/pi-pause-bench/corpus --split household   # 4 h, once
    python -m benchmarks.false_triggers run --corpus ~/.cache/pi-pause-bench/corpus \
        --out ~/.cache/pi-pause-bench/household.jsonl
    python -m benchmarks.false_triggers summary --out ~/.cache/pi-pause-bench/household.jsonl

``run`` streams every file of ``CORPUS/household`` (no phrase anywhere, near-misses
mixed in) through ``open_spotter(Settings(), engine="two-stage")`` as ``detect`` does,
and appends one line per file (detections, candidates, verifier CPU, condition) to
``--out``; a run that is stopped picks up where it left off, because the hours take
long on a busy machine. ``summary`` prints false triggers and candidates per hour,
overall and by condition, over the files scored so far.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import config, wav  # noqa: E402
from pi_pause.ear import spotter  # noqa: E402


def settings(state: Path | None) -> config.Settings:
    """The defaults, or with ``state`` as the state folder (voices enrolled there are listened for)."""
    if state is None:
        return config.Settings()
    cache = Path.home() / ".cache" / "pi-pause"  # Whisper base, joined once
    return config.Settings(paths=config.PathSettings(state_dir=str(state), cache_dir=str(cache)))


def run(args) -> int:
    folder = args.corpus / args.folder
    files = json.loads((folder / "manifest.json").read_text())["files"]
    done = set()
    if args.out.exists():
        done = {json.loads(line)["file"] for line in args.out.read_text().splitlines() if line.strip()}
    with spotter.open_spotter(settings(args.state), engine="two-stage") as s, open(args.out, "a") as out:
        for f in files:
            if f["file"] in done:
                continue
            samples = wav.read(folder / f["file"])
            before = s.stats()
            s.reset()
            fired = []
            started = time.process_time()
            for frame in wav.frames(samples, 1600):
                heard = s.feed(frame)
                if heard is not None:
                    fired.append(heard.time)
            cpu = time.process_time() - started
            after = s.stats()
            out.write(json.dumps({"file": f["file"], "duration": f["duration"], "noise": f["noise"],
                                  "snr": f["snr"], "near_misses": f["near_misses"], "fired": fired,
                                  "candidates": after["candidates"] - before["candidates"],
                                  "verifier_cpu": after["verifier_cpu"][len(before["verifier_cpu"]):],
                                  "feed_cpu": cpu}) + "\n")
            out.flush()
    return 0


def summary(args) -> int:
    rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    groups = defaultdict(list)
    for r in rows:
        groups["all"].append(r)
        groups[r["noise"] if r["noise"] == "none" else f"{r['noise']} {r['snr']} dB"].append(r)
    for name, rs in groups.items():
        hours = sum(r["duration"] for r in rs) / 3600
        fired = sum(len(r["fired"]) for r in rs)
        cands = sum(r["candidates"] for r in rs)
        rtf = sum(r["feed_cpu"] for r in rs) / (hours * 3600)
        print(f"{name:12s} {hours:5.2f} h  false triggers {fired:3d} ({fired / hours:.2f}/h)  "
              f"candidates {cands / hours:5.0f}/h  near-misses {sum(r['near_misses'] for r in rs)}  RTF {rtf:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "summary"))
    parser.add_argument("--corpus", type=Path, default=Path.home() / ".cache/pi-pause-bench/corpus")
    parser.add_argument("--folder", default="household")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--state", type=Path, help="a state folder with enrolled voices (benchmarks.enrollment)")
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else summary(args)


if __name__ == "__main__":
    raise SystemExit(main())
