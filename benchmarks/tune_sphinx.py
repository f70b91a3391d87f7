"""Tune the PocketSphinx engine on the bench corpus's `tune` split (never `test`).

    python benchmarks/tune_sphinx.py collect --threshold 1e-40   # KWS candidates, once
    python benchmarks/tune_sphinx.py sweep                         # verification settings

`collect` streams every file through the keyword-spotting stage alone and keeps,
for each candidate, the window the verification stage would see (in memory, then
a pickle under /tmp: corpus audio, not user audio). `sweep` re-runs only the
verification stage with several competitor weights and prints recall and false
triggers per hour of non-phrase speech, scored like benchmarks/spotter.py
(hit: phrase start .. phrase end + 1.5 s).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import pronounce, sphinx_engine, wav  # noqa: E402

CORPUS = Path("/work/corpus/tune")
CACHE = Path("/tmp/pi-pause-tune-candidates.pkl")
PHRASE = "let's take a pause"


def collect(threshold: float) -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    engine = sphinx_engine.SphinxEngine((PHRASE,), 0.5)
    # Rebuild the KWS stage at the requested threshold.
    engine._kws = engine._decoder(beam=1e-70, wbeam=1e-70, pbeam=1e-70)
    lines = [f"{k} /{threshold:.3g}/" for k in engine._plans[0].keyphrases()]
    kws = Path("/tmp/pi-pause-tune.kws")
    kws.write_text("\n".join(lines) + "\n")
    engine._kws.add_kws("phrases", str(kws))
    engine._kws.activate_search("phrases")
    engine._kws.start_utt()
    found, cpu, audio = [], 0.0, 0.0
    for item in manifest["files"]:
        samples = wav.read(CORPUS / item["file"])
        audio += len(samples) / 16000
        engine.reset()
        t = time.process_time()
        for frame in wav.frames(samples, 1600):
            engine._consumed += len(frame)
            engine._history = np.concatenate([engine._history, frame])[-96000:]
            engine._kws.process_raw(frame.tobytes(), False, False)
            if engine._kws.hyp() is None:
                continue
            start = engine._spot_start()
            begin = max(start - int(sphinx_engine.LEAD_SECONDS * 16000),
                        engine._consumed - len(engine._history))
            window = engine._history[begin - (engine._consumed - len(engine._history)):].copy()
            found.append((item["file"], engine._consumed / 16000, window))
            engine._restart_kws()
        cpu += time.process_time() - t
    print(f"{len(found)} candidates; KWS RTF {cpu / audio:.4f}")
    CACHE.write_bytes(pickle.dumps({"threshold": threshold, "candidates": found}))


def score(manifest, detections) -> tuple[int, int, float]:
    hits, false = 0, 0
    by_file = {}
    for f, t in detections:
        by_file.setdefault(f, []).append(t)
    for item in manifest["files"]:
        times = sorted(by_file.get(item["file"], []))
        used = set()
        for ph in item.get("phrases", []):
            ok = [t for t in times if ph["start"] <= t <= ph["end"] + 1.5]
            if ok:
                hits += 1
                used.update(ok)
        false += sum(1 for t in times if t not in used)
    return hits, false, manifest["non_phrase_hours"]


def sweep(weights: list[float]) -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    data = pickle.loads(CACHE.read_bytes())
    lex = pronounce.lexicon()
    plan = pronounce.plan(PHRASE, lex)
    engine = sphinx_engine.SphinxEngine((PHRASE,), 0.5)
    positives = sum(len(i.get("phrases", [])) for i in manifest["files"])
    for weight in weights:
        start, final, arcs = plan.grammar(weight)
        engine._check.add_fsg("w", engine._check.create_fsg("w", start, final, arcs))
        engine._check.activate_search("w")
        kept, t = [], time.process_time()
        last = {}
        for f, when, window in data["candidates"]:
            if when - last.get(f, -9) < sphinx_engine.REFRACTORY_SECONDS:
                continue
            engine._check.start_utt()
            engine._check.process_raw(window.tobytes(), False, True)
            engine._check.end_utt()
            hyp = engine._check.hyp()
            if hyp is not None and plan.matches(hyp.hypstr.split()):
                kept.append((f, when))
                last[f] = when
        hits, false, hours = score(manifest, kept)
        cpu = (time.process_time() - t) / max(1, len(data["candidates"]))
        print(f"weight {weight:g}: recall {hits}/{positives} = {hits / positives:.3f}, "
              f"false {false} = {false / hours:.2f}/h, {cpu * 1000:.0f} ms CPU per candidate")
    base = score(manifest, [(f, w) for f, w, _ in data["candidates"]])
    print(f"KWS alone (threshold {data['threshold']:g}): recall {base[0]}/{positives}, "
          f"false {base[1]} = {base[1] / base[2]:.1f}/h")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--threshold", type=float, default=1e-40)
    s = sub.add_parser("sweep")
    s.add_argument("--weights", type=float, nargs="+", default=[10, 1, 0.1, 0.01, 1e-3])
    args = ap.parse_args()
    collect(args.threshold) if args.cmd == "collect" else sweep(args.weights)
