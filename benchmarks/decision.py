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
LAST_END = two_stage.WINDOW_ENDS[-1]


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
    out = {"meta": meta, "scores": {}, "cpu": {}, "gates": gates(audio)}
    Path(args.out).write_text(json.dumps(out))
    for name, pad in plan:
        model = models[name]
        model.frames = int(pad * 100)
        key = f"{name}@{pad:g}"
        scores, cpu = [], []
        for clip in audio:
            row, spent = [], []
            for w in windows(clip):
                started = time.process_time()
                row.append(model.score([w], meta_phrase(meta)))
                spent.append(time.process_time() - started)
            scores.append(row)
            cpu.append(spent)
        out["scores"][key] = scores
        out["cpu"][key] = cpu
        print(f"{key}: {len(scores)} candidates, median CPU per window "
              f"{np.median(np.array(cpu)) * 1000:.0f} ms", flush=True)
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


def report(args) -> int:
    got = json.loads(Path(args.scores).read_text())
    rows = got["meta"]["rows"]
    pos = np.array([r["phrase"] for r in rows])
    neg_hours = got["meta"]["hours"]
    n_phr = len(got["meta"]["phrases"])
    print(f"{len(rows)} candidates, {pos.sum()} at a phrase, {len(got['meta']['found'])}/{n_phr} phrases proposed, "
          f"{len(rows) / neg_hours:.0f}/h")

    def phrases_kept(ok: np.ndarray) -> int:
        return len({(r["file"], r["phrase_end"]) for r, k in zip(rows, ok) if k and r["phrase"]})

    def line(name, s, thr, cpu=None):
        ok = s >= thr
        fp = int((ok & ~pos).sum())
        extra = f" cpu/cand median {np.median(cpu) * 1000:.0f} ms" if cpu is not None else ""
        print(f"  {name:40s} thr {thr:6.2f}: phrases {phrases_kept(ok):3d}  negatives passing {fp:3d}{extra}")

    for key, sc in got["scores"].items():
        s = np.array(sc)
        cpu = np.array(got["cpu"][key])
        for label, cols in (("best of 3", [0, 1, 2]), ("last only", [2]), ("middle only", [1])):
            best = s[:, cols].max(axis=1)
            for thr in (-2.0, -3.0, -4.0):
                line(f"{key} {label}", best, thr, cpu[:, cols].sum(axis=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("--candidates", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--tiny-pads", default="3,4,10")
    s.add_argument("--base-pads", default="4,10")
    r = sub.add_parser("report")
    r.add_argument("--scores", type=Path, required=True)
    args = parser.parse_args(argv)
    return score(args) if args.command == "score" else report(args)


if __name__ == "__main__":
    raise SystemExit(main())
