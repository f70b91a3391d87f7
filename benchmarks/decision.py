"""Score collected candidates (``benchmarks.candidate_windows``) with every decision setting, offline.

    python -m benchmarks.decision score --candidates ~/.cache/pi-pause-bench/tune-candidates.npz \
        --out ~/.cache/pi-pause-bench/tune-scores.json
    python -m benchmarks.decision report --scores ~/.cache/pi-pause-bench/tune-scores.json

``score`` judges every candidate's windows (ends 0.25 / 0.45 / 0.65 s after it fired,
2.3 s long, as the live engine cuts them) with Whisper tiny.en and Whisper base at
several paddings, and records each score and its process CPU. ``report`` then
compares decisions: padding, which windows, the cascade's unsure band and how the two
scores are fused, as recall of the proposed phrases against negatives passing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause.ear import two_stage, verifier, whisper_base  # noqa: E402

RATE = 16_000
SPAN = 4.0
LAST_END = max(two_stage.WINDOW_ENDS)  # the collected audio ends at the latest window's end


def windows(clip: np.ndarray) -> list[np.ndarray]:
    """The live engine's windows of one candidate, from its collected audio."""
    audio = clip.astype(np.float32) / 32768.0
    out = []
    for end in two_stage.WINDOW_ENDS:
        stop = len(audio) - int(round((LAST_END - end) * RATE))
        out.append(audio[max(stop - int(two_stage.WINDOW_SECONDS * RATE), 0):stop])
    return out


def score(args) -> int:
    data = np.load(args.candidates)
    meta = json.loads(str(data["meta"]))
    audio = data["audio"]
    tiny = verifier.WhisperVerifier.load()
    cache = Path.home() / ".cache" / "pi-pause"
    base = verifier.WhisperVerifier(whisper_base.install(cache), files=whisper_base.JOINED_FILES,
                                    prompt=whisper_base.PROMPT, fix=whisper_base.REINSTALL)
    models = {"tiny": tiny, "base": base}
    plan = [(m, float(p)) for m, pads in (("tiny", args.tiny_pads), ("base", args.base_pads))
            for p in pads.split(",") if p]
    if args.out.exists():  # resume: keep what an earlier run scored
        out = json.loads(args.out.read_text())
    else:
        out = {"meta": meta, "scores": {}, "cpu": {}, "gates": gates(audio)}
        Path(args.out).write_text(json.dumps(out))
    for name, pad in plan:
        model = models[name]
        model.frames = int(pad * 100)
        key = f"{name}@{pad:g}"
        if key in out["scores"]:
            continue
        # Base is only ever asked about windows tiny.en is unsure of: score those alone.
        tinies = [np.array(v) for k, v in out["scores"].items() if k.startswith("tiny")]
        near = (np.max(tinies, axis=0) >= -3.0 - args.base_band) if name == "base" and tinies else None
        scores, cpu = [], []
        for i, clip in enumerate(audio):
            row, spent = [], []
            for k, w in enumerate(windows(clip)):
                if near is not None and not near[i, k]:
                    row.append(-99.0)
                    spent.append(0.0)
                    continue
                started = time.process_time()
                row.append(model.score([w], meta_phrase(meta)))
                spent.append(time.process_time() - started)
            scores.append(row)
            cpu.append(spent)
        out["scores"][key] = scores
        out["cpu"][key] = cpu
        spent = np.array(cpu)
        print(f"{key}: {len(scores)} candidates, median CPU per window judged "
              f"{np.median(spent[spent > 0]) * 1000:.0f} ms ({(spent > 0).sum()} windows)", flush=True)
        Path(args.out).write_text(json.dumps(out))
    return 0


def gates(audio: np.ndarray) -> dict:
    """Cheap evidence per candidate: the embedding classifier's best score near it, and the
    share of 30 ms frames WebRTC's voice-activity detector calls speech in the last 2.3 s."""
    import webrtcvad

    from pi_pause.ear import phrase_model
    from pi_pause.ear.speech_embedding import FEATURES, SpeechFrontEnd

    model = phrase_model.load_for("let's take a pause", Path("/nonexistent"))
    front = SpeechFrontEnd()
    stream = front.stream(every=model.stride)
    vad = webrtcvad.Vad(2)
    emb_best, speech = [], []
    for clip in audio:
        stream.reset()
        recent, best = np.zeros((0, FEATURES), np.float32), 0.0
        for k in range(0, len(clip), 1280):
            for emb in stream.feed(clip[k:k + 1280]):
                recent = np.concatenate([recent, emb[None]])[-model.length:]
                now = stream.consumed / RATE
                if len(recent) == model.length and now >= SPAN - LAST_END - 0.3:
                    best = max(best, float(model.score(recent.reshape(1, -1))[0]))
        emb_best.append(best)
        tail = clip[-int(two_stage.WINDOW_SECONDS * RATE):]
        frames = [tail[k:k + 480].tobytes() for k in range(0, len(tail) - 480, 480)]
        speech.append(float(np.mean([vad.is_speech(f, RATE) for f in frames])))
    front.close()
    return {"embedding": emb_best, "vad_speech": speech}


def meta_phrase(meta: dict) -> str:
    return meta.get("phrase", "let's take a pause")


def condition(r: dict) -> str:
    return r["noise"] if r["noise"] == "none" else f"{r['noise']} {r['snr']}"


def simulate(got: dict, tiny: str, base: str | None, threshold: float = -3.0, band: float = 0.0,
             weight: float = 0.5, give_up: float | None = None, gate: float = 0.0, order=(0, 1, 2)) -> dict:
    """The live decision replayed on scored candidates: windows in order, the first that passes
    confirms, one far below the threshold (``give_up`` nats) ends the candidate; windows tiny.en
    scores inside ``band`` below the threshold are fused with base. ``gate``: the embedding
    classifier's score a candidate needs to be judged at all."""
    rows = got["meta"]["rows"]
    t = np.array(got["scores"][tiny])
    tc = np.array(got["cpu"][tiny])
    b = np.array(got["scores"][base]) if base else None
    bc = np.array(got["cpu"][base]) if base else None
    emb = np.array(got["gates"]["embedding"])
    passed, cpu, asked = [], [], 0
    for i in range(len(rows)):
        ok, spent = False, 0.0
        if emb[i] >= gate:
            for k in order:
                score, spent = t[i, k], spent + tc[i, k]
                if b is not None and threshold - band <= score < threshold:
                    score = (1 - weight) * score + weight * b[i, k]
                    spent += bc[i, k]
                    asked += 1
                if score >= threshold:
                    ok = True
                    break
                if give_up is not None and t[i, k] < threshold - give_up:
                    break
        passed.append(ok)
        cpu.append(spent)
    passed = np.array(passed)
    pos = np.array([r["phrase"] for r in rows])
    kept = {(r["file"], r["phrase_end"]) for r, k in zip(rows, passed) if k and r["phrase"]}
    by = {}
    for f, end, noise, snr, voice, seen in got["meta"]["phrases"]:
        c = noise if noise == "none" else f"{noise} {snr}"
        n, k = by.get(c, (0, 0))
        by[c] = (n + 1, k + ((f, end) in kept))
    return {"phrases": len(kept), "of": len(got["meta"]["phrases"]), "false": int((passed & ~pos).sum()),
            "cpu_median_ms": float(np.median(cpu) * 1000), "cpu_mean_ms": float(np.mean(cpu) * 1000),
            "asked": asked, "by": by}


def report(args) -> int:
    got = json.loads(Path(args.scores).read_text())
    rows = got["meta"]["rows"]
    print(f"{len(rows)} candidates, {sum(r['phrase'] for r in rows)} at a phrase, "
          f"{len(got['meta']['found'])}/{len(got['meta']['phrases'])} phrases proposed, "
          f"{len(rows) / got['meta']['hours']:.0f}/h")
    tinies = [k for k in got["scores"] if k.startswith("tiny")]
    bases = [None] + [k for k in got["scores"] if k.startswith("base")]
    for tiny in tinies:
        for base in bases:
            for band in ((0.0,) if base is None else (2.0, 4.0, 6.0, 10.0)):
                for weight in ((0.5,) if base is None else (0.5, 0.7, 1.0)):
                    for give_up in (None, 4.0, 8.0):
                        for thr in (-2.0, -3.0, -4.0):
                            r = simulate(got, tiny, base, thr, band, weight, give_up)
                            by = " ".join(f"{c}:{k}/{n}" for c, (n, k) in sorted(r["by"].items()))
                            print(f"{tiny:8s} {str(base):8s} band {band:4.1f} w {weight:.1f} give_up {str(give_up):4s} "
                                  f"thr {thr:5.1f}: phrases {r['phrases']}/{r['of']} false {r['false']:3d} "
                                  f"cpu median {r['cpu_median_ms']:4.0f} mean {r['cpu_mean_ms']:4.0f} ms | {by}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("--candidates", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--tiny-pads", default="3,4,10")
    s.add_argument("--base-pads", default="4,10")
    s.add_argument("--base-band", type=float, default=14.0,
                   help="score base only where tiny.en is at most this far below -3 (the widest band tried)")
    r = sub.add_parser("report")
    r.add_argument("--scores", type=Path, required=True)
    args = parser.parse_args(argv)
    return score(args) if args.command == "score" else report(args)


if __name__ == "__main__":
    raise SystemExit(main())
