"""Experiment: does a per-phrase classifier on openWakeWord embeddings hear the phrase?

    python benchmarks/phrase_embedding.py features            # synthesise + embed training audio
    python benchmarks/phrase_embedding.py train               # fit the classifier, time it
    python benchmarks/phrase_embedding.py score --split tune --model M.npz  # sweep thresholds
    python benchmarks/phrase_embedding.py stream --model M.npz  # live engine: RTF and peak RSS

Training audio is made by pi_pause.ear.phrase_data from the phrase text alone (never from the
corpus). The corpus split is only embedded and scored: every file is turned into embeddings
exactly as the live stream would (SpeechFrontEnd.embed equals feeding 100 ms frames), each
16-embedding window is scored, and detections are simulated with the engine's own rule
(pi_pause.ear.embedding_engine.Trigger), at the time the 100 ms frame carrying that embedding was fed.
Scoring uses the bench helper's rules (hit = phrase start .. end + 1.5 s).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import wav  # noqa: E402
from pi_pause.ear import phrase_data, phrase_model
from pi_pause.ear.speech_embedding import SpeechFrontEnd  # noqa: E402

CACHE = Path("/work/oww-cache")
PHRASE = "let's take a pause"
GRACE = 1.5


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _clips_path(phrase: str, mining: bool) -> Path:
    recipe = phrase_data.Recipe()
    return CACHE / f"clips-{phrase_model.model_key(phrase, recipe.version)}{'-mining' if mining else ''}.npz"


def save_clips(path: Path, clips) -> None:
    np.savez(path, emb=np.concatenate([e for e, _ in clips]), lengths=[len(e) for e, _ in clips],
             ends=[np.nan if end is None else end for _, end in clips])


def load_clips(path: Path):
    with np.load(path) as f:   # each f[key] reads the array anew: read each once
        emb, lengths, ends = f["emb"], f["lengths"], f["ends"]
    bounds = np.cumsum(np.concatenate([[0], lengths]))
    return [(emb[a:b], None if np.isnan(end) else float(end)) for a, b, end in zip(bounds[:-1], bounds[1:], ends)]


def features(args) -> None:
    """Synthesise and embed the recipe (training and mining clips), ``--jobs`` parts at a time."""
    recipe = phrase_data.Recipe()
    for mining in (False, True):
        t0 = time.perf_counter()
        clips = phrase_model.embed_recipe(args.phrase, recipe, CACHE / "speech", mining=mining,
                                          jobs=args.jobs, log=log)
        out = _clips_path(args.phrase, mining)
        save_clips(out, clips)
        log(f"{len(clips)} clips, {sum(len(e) for e, _ in clips) * 0.08 / 3600:.2f} h of embeddings, "
            f"wall {time.perf_counter() - t0:.0f} s -> {out}")


def train(args) -> None:
    recipe = phrase_data.Recipe()
    clips = load_clips(_clips_path(args.phrase, False))
    mining = load_clips(_clips_path(args.phrase, True)) if not args.no_mining else []
    c0 = time.process_time()
    model = phrase_model.fit(clips, mining, seed=recipe.seed, hidden=args.hidden, epochs=args.epochs,
                             members=args.members, length=args.length, stride=args.stride,
                             noise=args.noise, l2=args.l2,
                             batch=args.batch, log=log)
    log(f"trained in {time.process_time() - c0:.1f} s cpu")
    model.phrase, model.recipe = args.phrase, recipe.version
    key = phrase_model.model_key(args.phrase, recipe.version)
    out = CACHE / (f"model-{key}-h{args.hidden}x{args.members}-e{args.epochs}-n{args.noise}-l{args.l2}"
                   f"-w{args.length}x{args.stride}{'-nomine' if args.no_mining else ''}.npz")
    model.save(out)
    log(f"saved {out} ({out.stat().st_size / 1024:.0f} KB)")


def corpus_scores(front, model, split: Path):
    manifest = json.loads((split / "manifest.json").read_text())
    cache = CACHE / f"corpus-{split.name}-emb.npz"
    if cache.exists():
        embs = dict(np.load(cache))
    else:
        embs = {}
        for i, f in enumerate(manifest["files"]):
            embs[f["file"]] = front.embed(wav.read(split / f["file"]))
            if i % 50 == 0:
                log(f"embedded {i}/{len(manifest['files'])}")
        np.savez(cache, **embs)
    out = []
    for f in manifest["files"]:
        e = embs[f["file"]]
        last = (model.length - 1) * model.stride
        s = model.score(phrase_model.windows_of(e, model.length, model.stride))
        ends = np.arange(len(s)) + last
        # Live, an embedding is computed every ``stride`` chunks: score only those windows.
        live = (ends % model.stride) == model.stride - 1
        times = np.array([front.embedding_end(i) for i in ends[live]])
        out.append((f, s[live], times))
    return out


def simulate(scores, times, threshold: float, hold: int, refractory: float = 2.0) -> list[float]:
    """Fire when ``hold`` consecutive windows reach ``threshold``; report at the 100 ms frame."""
    fired, run, last = [], 0, -1e9
    for s, t in zip(scores, times):
        run = run + 1 if s >= threshold else 0
        if run >= hold and t - last >= refractory:
            fired.append(np.ceil(t * 10 - 1e-6) / 10)
            last, run = t, 0
    return fired


def evaluate(results, threshold, hold, by=None):
    from collections import defaultdict
    groups = defaultdict(lambda: [0, 0, 0, 0.0, []])  # phrases hits false seconds latencies
    for f, s, t in results:
        phrases = [(p["start"], p["end"]) for p in f["phrases"]]
        dets = simulate(s, t, threshold, hold)
        heard = [False] * len(phrases)
        g = groups[by(f) if by else "all"]
        g[0] += len(phrases)
        g[3] += f["duration"] - sum(b - a for a, b in phrases)
        for d in dets:
            inside = [i for i, (a, b) in enumerate(phrases) if a <= d <= b + GRACE]
            if not inside:
                g[2] += 1
            else:
                i = next((i for i in inside if not heard[i]), None)
                if i is not None:
                    heard[i] = True
                    g[1] += 1
                    g[4].append(d - phrases[i][1])
    return {k: {"recall": v[1] / v[0] if v[0] else None, "false_per_hour": v[2] / (v[3] / 3600),
                "false": v[2], "latency_median": float(np.median(v[4])) if v[4] else None,
                "phrases": v[0]} for k, v in sorted(groups.items())}


def score(args) -> None:
    front = SpeechFrontEnd()
    model = phrase_model.PhraseModel.load(Path(args.model))
    results = corpus_scores(front, model, Path(args.corpus) / args.split)
    for hold in (1, 2):
        for th in args.thresholds:
            r = evaluate(results, th, hold)["all"]
            print(f"hold {hold} th {th:.3f}: recall {r['recall']:.3f} false/h {r['false_per_hour']:.2f} "
                  f"({r['false']}) latency {r['latency_median']}")
    if args.detail is not None:
        th, hold = args.detail
        for name, by in [("noise", lambda f: f"{f['noise']} {f['snr']}"), ("voice", lambda f: f["voice"]),
                         ("style", lambda f: f["style"]), ("reverb", lambda f: f["reverb"])]:
            for k, v in evaluate(results, th, int(hold), by).items():
                print(f"  {name:6s} {k:14s} recall {v['recall']} false {v['false']} lat {v['latency_median']}")


def stream(args) -> None:
    """CPU real-time factor and peak memory of the live engine, fed 100 ms frames."""
    import resource

    from pi_pause.ear.embedding_engine import EmbeddingEngine

    model = phrase_model.PhraseModel.load(Path(args.model))
    engine = EmbeddingEngine({args.phrase: model})
    split = Path(args.corpus) / args.split
    files = json.loads((split / "manifest.json").read_text())["files"][:args.files]
    cpu, seconds, fired = 0.0, 0.0, 0
    for f in files:
        audio = wav.read(split / f["file"])
        engine.reset()
        start = time.process_time()
        for frame in wav.frames(audio, 1600):
            fired += engine.feed(frame) is not None
        cpu += time.process_time() - start
        seconds += len(audio) / 16000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(files)} files, {seconds:.0f} s of audio: feed cpu {cpu:.2f} s, RTF {cpu / seconds:.4f}, "
          f"peak RSS {rss:.0f} MB, {fired} detections")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["features", "train", "score", "stream"])
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--phrase", default=PHRASE)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--length", type=int, default=phrase_model.WINDOW)
    ap.add_argument("--stride", type=int, default=phrase_model.STRIDE)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-mining", action="store_true")
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--model")
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--split", default="tune")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9, 0.95, 0.98])
    ap.add_argument("--detail", type=float, nargs=2)
    args = ap.parse_args()
    {"features": features, "train": train, "score": score, "stream": stream}[args.stage](args)


if __name__ == "__main__":
    main()
