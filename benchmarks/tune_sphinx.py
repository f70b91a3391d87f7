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

from pi_pause import wav  # noqa: E402
from pi_pause.ear import pronounce, sphinx_engine

CORPUS = Path("/work/corpus/tune")
CACHE = Path("/tmp/pi-pause-tune-candidates.pkl")
PHRASE = "let's take a pause"


def collect(threshold: float, remove_noise: bool, positives_only: bool) -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    if positives_only:
        manifest["files"] = [f for f in manifest["files"] if f.get("phrases")]
    engine = sphinx_engine.SphinxEngine((PHRASE,), 0.5)
    # Rebuild the KWS stage at the requested threshold.
    engine._kws = engine._decoder(beam=1e-70, wbeam=1e-70, pbeam=1e-70, remove_noise=remove_noise)
    lines = [f"{k} /{threshold:.3g}/" for k in engine._plans[0].keyphrases()]
    kws = Path("/tmp/pi-pause-tune.kws")
    kws.write_text("\n".join(lines) + "\n")
    engine._kws.add_kws("phrases", str(kws))
    engine._kws.activate_search("phrases")
    engine._kws.start_utt()
    found, cpu, audio = [], 0.0, 0.0
    lead = int(sphinx_engine.LEAD_SECONDS * 16000)
    for item in manifest["files"]:
        samples = wav.read(CORPUS / item["file"])
        audio += len(samples) / 16000
        engine.reset()
        t = time.process_time()
        for frame in wav.frames(samples, 1600):
            engine._consumed += len(frame)
            engine._kws.process_raw(frame.tobytes(), False, False)
            if engine._kws.hyp() is None:
                continue
            start, end = engine._spot_span()
            begin = max(0, start - lead)
            window = samples[begin:engine._consumed + 16000].copy()
            # (file, fire sample, spotted end sample, window start sample, window audio)
            found.append((item["file"], engine._consumed, end, begin, window))
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


def sweep(weights: list[float], posts: list[float], waits: list[float], max_rivals: int,
          beam: float) -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    data = pickle.loads(CACHE.read_bytes())
    lex = pronounce.lexicon()
    pronounce.MAX_COMPETITORS = max_rivals
    plan = pronounce.plan(PHRASE, lex)
    print("competitors:", plan.rivals)
    engine = sphinx_engine.SphinxEngine((PHRASE,), 0.5)
    if beam:
        engine._check = engine._decoder(beam=beam, wbeam=beam * 1e10, pbeam=beam)
    positives = sum(len(i.get("phrases", [])) for i in manifest["files"])
    for post, wait in [(p, w) for p in posts for w in waits]:
        for weight in weights:
            start, final, arcs = plan.grammar(weight)
            engine._check.add_fsg("w", engine._check.create_fsg("w", start, final, arcs))
            engine._check.activate_search("w")
            kept, lat, t = [], [], time.process_time()
            quiet, pending = {}, {}
            for f, fire, end, begin, window in data["candidates"]:
                if fire < quiet.get(f, -1) or fire < pending.get(f, -1):
                    continue
                due = max(fire + int(wait * 16000), end + int(post * 16000))
                pending[f] = due
                engine._check.start_utt()
                engine._check.process_raw(window[:due - begin].tobytes(), False, True)
                engine._check.end_utt()
                hyp = engine._check.hyp()
                if hyp is not None and plan.matches(hyp.hypstr.split()):
                    kept.append((f, due / 16000))
                    quiet[f] = due + int(sphinx_engine.REFRACTORY_SECONDS * 16000)
            hits, false, hours = score(manifest, kept)
            lat = latencies(manifest, kept)
            cpu = (time.process_time() - t) / max(1, len(data["candidates"]))
            print(f"rivals {max_rivals} post {post:g} wait {wait:g} weight {weight:g}: "
                  f"recall {hits}/{positives} = {hits / positives:.3f}, "
                  f"false {false} = {false / hours:.2f}/h, latency median {np.median(lat):.2f} "
                  f"p90 {np.percentile(lat, 90):.2f} s, {cpu * 1000:.0f} ms CPU per candidate")
    base = score(manifest, [(f, fire / 16000) for f, fire, *_ in data["candidates"]])
    print(f"KWS alone (threshold {data['threshold']:g}): recall {base[0]}/{positives}, "
          f"false {base[1]} = {base[1] / base[2]:.1f}/h")


def latencies(manifest, detections) -> list[float]:
    ends = {i["file"]: [p["end"] for p in i.get("phrases", [])] for i in manifest["files"]}
    out = []
    for f, t in detections:
        near = [t - e for e in ends.get(f, []) if -1.0 <= t - e <= 1.5]
        if near:
            out.append(min(near, key=abs))
    return out or [float("nan")]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--threshold", type=float, default=1e-40)
    c.add_argument("--remove-noise", action="store_true", help="PocketSphinx spectral noise removal")
    c.add_argument("--positives-only", action="store_true", help="quick: files with the phrase only")
    s = sub.add_parser("sweep")
    s.add_argument("--weights", type=float, nargs="+", default=[10, 1, 0.1, 0.01, 1e-3])
    s.add_argument("--posts", type=float, nargs="+", default=[0.2])
    s.add_argument("--waits", type=float, nargs="+", default=[0.0])
    s.add_argument("--max-rivals", type=int, default=pronounce.MAX_COMPETITORS)
    s.add_argument("--beam", type=float, default=0.0, help="verification beam (default: the engine's)")
    args = ap.parse_args()
    collect(args.threshold, args.remove_noise, args.positives_only) if args.cmd == "collect" else sweep(args.weights, args.posts, args.waits, args.max_rivals, args.beam)
