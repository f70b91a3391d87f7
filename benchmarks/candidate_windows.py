"""Collect the candidates the live first stages propose, with their audio, to tune the decision offline.

    python -m benchmarks.candidate_windows collect --corpus ~/.cache/pi-pause-bench/corpus --split tune \
        --out ~/.cache/pi-pause-bench/tune-candidates.npz

Every file of the split is streamed through the two-stage engine's own first stages
(:func:`pi_pause.ear.first_stages.open_stages`) and :class:`~pi_pause.ear.two_stage.TwoStageEngine`
with a recorder in place of the verifier: it keeps each candidate's last ``SPAN`` seconds
of audio (ending at the last window's end) and says no, so every window of every candidate
is seen exactly as the live stream makes it. Each candidate is labelled from the manifest:
``phrase`` when a phrase ends between 0.8 s before and 1.5 s after it (the scoring hit window),
with its condition, voice and voice group. The decision's padding, windows and models are then
swept on this file (``benchmarks.decision``) without running the first stages again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import config, wav  # noqa: E402
from pi_pause.ear import first_stages, spotter, two_stage  # noqa: E402

RATE = 16_000
SPAN = 4.0  # seconds of audio kept per candidate, ending at its last window's end


class _Recorder:
    """A Checks that keeps the last window's audio of each candidate and confirms nothing."""

    def __init__(self):
        self.cpu_seconds = {}
        self.jobs = {}
        self._answered = []
        self.verifier = self  # the engine reads its threshold to judge a score hopeless
        self.threshold = 0.0

    def submit(self, job) -> bool:
        self.jobs[job.ticket] = job
        self._answered.append(two_stage.Verdict(job, False))
        return True

    def verdicts(self) -> list:
        # Say no at once: the engine holds a candidate until its window is answered, and
        # unanswered candidates would fill its queue and drop every later one.
        done, self._answered = self._answered, []
        return done

    def close(self) -> None:
        pass


def collect(folder: Path, limit: int | None = None) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    files = manifest["files"][:limit] if limit else manifest["files"]
    settings = config.Settings()
    phrase = manifest["phrase"]
    stages = first_stages.open_stages(settings, (phrase,), spotter.trained_models_dir(settings))
    recorder = _Recorder()
    engine = two_stage.TwoStageEngine([s.proposer for s in stages], recorder,
                                      window_seconds=SPAN, window_ends=(max(two_stage.WINDOW_ENDS),))
    rows, audio = [], []
    for n, f in enumerate(files):
        samples = wav.read(folder / f["file"])
        engine.reset()
        recorder.jobs.clear()
        for frame in wav.frames(samples, 1600):
            engine.feed(frame)
        for frame in wav.frames(np.zeros(RATE, np.int16), 1600):  # let the last candidate's window arrive
            engine.feed(frame)
        for job in recorder.jobs.values():
            at = job.at / RATE
            ends = [p["end"] for p in f["phrases"] if p["end"] - 0.8 <= at <= p["end"] + 1.5]
            clip = np.zeros(int(SPAN * RATE), np.float32)
            w = job.windows[0][-len(clip):]
            clip[len(clip) - len(w):] = w
            audio.append((clip * 32767).astype(np.int16))
            rows.append({"file": f["file"], "at": round(at, 3), "phrase": bool(ends),
                         "phrase_end": ends[0] if ends else None, "noise": f["noise"], "snr": f["snr"],
                         "voice": f["voice"], "seen": f["voice_seen"], "kind": f["kind"]})
        if n % 20 == 0:
            print(f"  {n}/{len(files)} files, {len(rows)} candidates", flush=True)
    found = {(r["file"], r["phrase_end"]) for r in rows if r["phrase"]}
    phrases = [(f["file"], p["end"], f["noise"], f["snr"], f["voice"], f["voice_seen"])
               for f in files for p in f["phrases"]]
    return {"rows": rows, "audio": np.stack(audio) if audio else np.zeros((0, int(SPAN * RATE)), np.int16),
            "phrases": phrases, "found": sorted(found, key=str),
            "hours": sum(f["duration"] for f in files) / 3600,
            "negative_hours": sum(f["duration"] for f in files if f["kind"] == "negative") / 3600}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("collect",))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--split", default="tune")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    got = collect(args.corpus / args.split, args.limit)
    np.savez_compressed(args.out, audio=got["audio"],
                        meta=json.dumps({k: v for k, v in got.items() if k != "audio"}))
    rows = got["rows"]
    print(f"{len(rows)} candidates ({sum(r['phrase'] for r in rows)} at a phrase), "
          f"{len(got['found'])} of {len(got['phrases'])} phrases proposed, "
          f"{len(rows) / got['hours']:.0f} candidates/h -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
