"""Enrollment on voices the ear has never heard: does teaching it two voices make it hear them in noise?

    python -m benchmarks.enrollment corpus --split test --voices fest-slt,flite-awb \\
        --out ~/.cache/pi-pause-bench/corpus
    python -m benchmarks.candidate_windows collect --corpus ~/.cache/pi-pause-bench/corpus \\
        --split tune-enrolled --out ~/.cache/pi-pause-bench/tune-enrolled-candidates.npz
    python -m benchmarks.enrollment sweep --split tune          # the opinion's weight, offline
    python -m benchmarks.enrollment enroll --split test --state /tmp/bench-enr/state
    python -m benchmarks.spotter --corpus ~/.cache/pi-pause-bench/corpus --split test \\
        --folder test-enrolled --engine two-stage --jobs 1 [--state /tmp/bench-enr/state]
    python -m benchmarks.false_triggers run --state /tmp/bench-enr/state \\
        --out ~/.cache/pi-pause-bench/household-enrolled.jsonl

``corpus`` writes ``OUT/SPLIT-enrolled/`` for the chosen voices of a split (see
``benchmarks.corpus``): positives where one of them says the phrase, evenly over every
condition (clean, babble and TV at 10 and 5 dB, calm or raised, dry or room), negatives
where they talk with many near-misses ("let's take a bus"), and, in ``takes/``, five
enrollment takes per voice: the phrase alone, said calmly in a quiet room, each take with
its own small differences, none of them the audio of a test phrase (and three spare
takes, for when enrollment's judge refuses one: a person would be asked again).

``enroll`` enrolls each voice from its takes with ``pi-pause phrase enroll --speaker NAME
FILE.wav...`` into a state folder of its own, as a couple would: five takes, and when the
judge refuses one, the next spare take, as a person would say it again. It prints each
person's CPU and wall time. The spotter (``benchmarks.spotter --folder SPLIT-enrolled``)
and the household hours (``benchmarks.false_triggers``, near-misses said by the enrolled
voices among them) are then run without and with ``--state``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus, mixing, sentences  # noqa: E402
from pi_pause import wav  # noqa: E402

RATE = 16_000
TAKES = 5
SPARE = 3  # more takes, for when the judge refuses one (a person would be asked again)
SEED_OFFSET = 7  # the enrolled folder's scenes are drawn apart from the split's own
TAKE_TEXTS = ("Let's take a pause.", "let's take a pause", "Let's take a pause!", "Let's take a pause,")


def folder(out: Path, split: str, name: str = "") -> Path:
    """``OUT/SPLIT-enrolled`` (``OUT/SPLIT-enrolled-NAME`` for another set of voices)."""
    return out / (f"{split}-enrolled-{name}" if name else f"{split}-enrolled")


def voices(split: str, ids: str) -> list[corpus.Voice]:
    by_id = {v.id: v for v in corpus.VOICES[split]}
    unknown = [i for i in ids.split(",") if i not in by_id]
    if unknown:
        raise SystemExit(f"no voice {', '.join(unknown)} in the {split} split; pick from {', '.join(by_id)}")
    return [by_id[i] for i in ids.split(",")]


def take_pieces(split: str, voice: corpus.Voice, count: int = TAKES) -> list[corpus.Piece]:
    """The phrase said ``count`` times by ``voice``, each take a little different (seeded)."""
    rng = np.random.default_rng(corpus.SEEDS[split] * 31 + sum(map(ord, voice.id)))
    return [corpus.Piece(TAKE_TEXTS[k % len(TAKE_TEXTS)], voice.jittered(rng), 0.0,
                         take=int(rng.integers(1 << 30)), phrase=True) for k in range(count)]


def render_take(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One take as a Pi across a quiet room records it: half a second either side, a little
    room, a faint hiss 35-45 dB down, a level between -32 and -20 dBFS."""
    pad = np.zeros(int(rng.uniform(0.4, 0.8) * RATE), np.float32)
    speech = np.concatenate([pad, audio, np.zeros(int(0.5 * RATE), np.float32)])
    if rng.random() < 0.5:
        speech = mixing.convolve(speech, mixing.room_impulse(rng, rt60=float(rng.uniform(0.2, 0.4)),
                                                             direct_to_reverb_db=float(rng.uniform(3, 8))))
    mask = np.zeros(len(speech), bool)
    mask[len(pad):len(pad) + len(audio)] = True
    hiss = rng.standard_normal(len(speech)).astype(np.float32)
    speech = speech + mixing.scale_to_snr(speech, hiss, float(rng.uniform(35, 45)), mask)
    level = 10 ** (rng.uniform(-32, -20) / 20) / np.sqrt(mixing.power(speech, mask))
    return np.clip(speech * np.float32(level), -1, 1)


def build(out: Path, split: str, chosen: list[corpus.Voice], per_voice: int, negative_minutes: float,
          jobs: int, name: str = "") -> dict:
    """Write ``OUT/SPLIT-enrolled`` (scenes, then takes, then the manifest)."""
    started = time.time()
    where = folder(out, split, name)
    (where / "takes").mkdir(parents=True, exist_ok=True)
    manifest_path = where / "manifest.json"
    if manifest_path.exists():
        manifest_path.unlink()
    synth = corpus.Synth(out / ".cache")
    scenes = corpus.plan(split, per_voice * len(chosen), negative_minutes, speakers=chosen, near_share=0.5,
                         seed=corpus.SEEDS[split] + SEED_OFFSET)
    takes = {v.id: take_pieces(split, v, TAKES + SPARE) for v in chosen}
    noise_pieces = corpus.babble_plan(split)
    corpus.synthesise([p for s in scenes for p in s.pieces] + noise_pieces + sum(takes.values(), []),
                      synth, jobs)
    noise_clips = [synth.say(p.text, p.voice) for p in noise_pieces]
    files = []
    for scene in scenes:
        audio, entry = corpus.render(scene, synth, noise_clips)
        wav.write(where / entry["file"], audio)
        files.append(entry)
    take_files = {}
    for voice_id, pieces in takes.items():
        rng = np.random.default_rng(corpus.SEEDS[split] * 37 + sum(map(ord, voice_id)))
        take_files[voice_id] = []
        for k, piece in enumerate(pieces):
            name = f"takes/{voice_id}-{k + 1}.wav"
            wav.write(where / name, render_take(synth.say(piece.text, piece.voice, piece.take), rng))
            take_files[voice_id].append(name)
    total = sum(f["duration"] for f in files)
    manifest = {
        "split": split, "phrase": sentences.PHRASE, "rate": RATE, "seed": corpus.SEEDS[split] + SEED_OFFSET,
        "voices": [asdict(v) for v in corpus.VOICES[split]], "enrolled": [v.id for v in chosen],
        "takes": take_files, "positives": sum(len(f["phrases"]) for f in files),
        "hours": round(total / 3600, 4),
        "non_phrase_hours": round((total - sum(p["end"] - p["start"] for f in files for p in f["phrases"])) / 3600, 4),
        "negative_file_hours": round(sum(f["duration"] for f in files if f["kind"] == "negative") / 3600, 4),
        "near_misses": sum(f["near_misses"] for f in files), "built_seconds": round(time.time() - started, 1),
        "files": files,
    }
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, manifest_path)
    return manifest


def sweep(out: Path, split: str, candidates: Path, weights: list[float], name: str = "") -> dict:
    """Offline, on candidates collected from ``SPLIT-enrolled`` (``benchmarks.candidate_windows``):
    enroll each voice from its first five takes, score every candidate window with tiny.en,
    base and the enrolled opinion, and print recall and false candidates for each opinion
    weight (tiny.en + base as today, then tiny.en + the opinion, base when it abstains)."""
    from benchmarks import decision as offline
    from pi_pause.ear import decision, verifier, voiceprint, whisper_base

    where = folder(out, split, name)
    manifest = json.loads((where / "manifest.json").read_text())
    people = [voiceprint.adapt([wav.read(where / t) for t in takes[:TAKES]], manifest["phrase"],
                               cache=out / ".enrollment-cache") for takes in manifest["takes"].values()]
    opinion = voiceprint.EnrolledOpinion(people)
    data = np.load(candidates)
    rows = json.loads(str(data["meta"]))["rows"]
    tiny = verifier.WhisperVerifier.load(pad_seconds=decision.TINY_PAD_SECONDS)
    base = verifier.WhisperVerifier(whisper_base.install(Path.home() / ".cache" / "pi-pause"),
                                    pad_seconds=decision.BASE_PAD_SECONDS, files=whisper_base.JOINED_FILES,
                                    prompt=whisper_base.PROMPT, fix=whisper_base.REINSTALL)
    phrase = manifest["phrase"]
    scores = [[(tiny.score([w], phrase), base.score([w], phrase), opinion.score([w], phrase))
               for w in offline.windows(clip)] for clip in data["audio"]]
    opinion.close()
    phrases: dict = {}
    for k, r in enumerate(rows):
        if r["phrase"]:
            phrases.setdefault((r["file"], r["phrase_end"]), []).append(k)
    threshold, band = tiny.threshold, decision.BAND_NATS
    result = {}
    for weight in [None, *weights]:
        def fused(t, b, o):
            if not threshold - band <= t < threshold:
                return t
            if weight is not None and o is not None:
                return (1 - weight) * t + weight * o
            return (1 - decision.BASE_WEIGHT) * t + decision.BASE_WEIGHT * b
        fired = [any(fused(*w) >= threshold for w in row) for row in scores]
        heard = {key: any(fired[k] for k in ks) for key, ks in phrases.items()}
        by = {}
        for key, ks in phrases.items():
            r = rows[ks[0]]
            by.setdefault(r["noise"] + (f" {r['snr']} dB" if r["snr"] else ""), []).append(heard[key])
        false = sum(f and not r["phrase"] for f, r in zip(fired, rows))
        name = "no enrollment" if weight is None else f"opinion weight {weight}"
        result[name] = {"recall": sum(heard.values()) / len(heard), "false_candidates": false,
                        "by_noise": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by.items())}}
        print(f"{name:20s} heard {sum(heard.values())}/{len(heard)}  false candidates {false}  "
              + "  ".join(f"{k} {v}" for k, v in result[name]["by_noise"].items()), flush=True)
    return result


NAMES = ("Kim", "Alex")  # what the couple call themselves, for the enrollment command


def enroll(out: Path, split: str, state: Path) -> list[dict]:
    """Enroll each voice of ``SPLIT-enrolled`` into ``state`` with ``pi-pause phrase enroll``
    from its takes, a spare take after each refused one; what it cost each person."""
    import resource
    import subprocess

    where = folder(out, split)
    manifest = json.loads((where / "manifest.json").read_text())
    state.mkdir(parents=True, exist_ok=True)
    config = state / "config.toml"
    config.write_text(f'[paths]\nstate_dir = "{state}"\ncache_dir = "{state / "cache"}"\n')
    done = []
    for name, (voice, takes) in zip(NAMES, manifest["takes"].items()):
        used = TAKES
        while True:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pi_pause", "--config", str(config), "phrase", "enroll",
                                   "--speaker", name, *[str(where / t) for t in takes[:used]]],
                                  capture_output=True, text=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode == 0 or used == len(takes):
                break
            used += 1
        if proc.returncode:
            raise SystemExit(f"enrolling {voice} failed:\n{proc.stdout}{proc.stderr}")
        done.append({"voice": voice, "name": name, "takes_recorded": used,
                     "refused": proc.stdout.count("FAIL "),
                     "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
                     "wall_seconds": round(time.perf_counter() - started, 1)})
        print(f"{name} ({voice}): {used} takes recorded, {done[-1]['refused']} refused, "
              f"{done[-1]['cpu_seconds']} s CPU, {done[-1]['wall_seconds']} s", flush=True)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("corpus", "enroll", "sweep"))
    parser.add_argument("--out", type=Path, default=Path.home() / ".cache" / "pi-pause-bench" / "corpus")
    parser.add_argument("--split", choices=corpus.SPLITS, default="test")
    parser.add_argument("--voices", help="corpus: comma-separated voice ids of the split, e.g. fest-slt,flite-awb")
    parser.add_argument("--state", type=Path, default=Path("/tmp/bench-enr/state"),
                        help="enroll: the state folder to enroll into (a settings file is written there)")
    parser.add_argument("--candidates", type=Path, help="sweep: candidates collected by benchmarks.candidate_windows "
                        "from SPLIT-enrolled (default OUT/../SPLIT-enrolled-candidates.npz)")
    parser.add_argument("--set", default="", help="a name for another set of voices of the split: "
                        "OUT/SPLIT-enrolled-NAME")
    parser.add_argument("--per-voice", type=int, default=40, help="phrases each voice says in the positives")
    parser.add_argument("--negative-minutes", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "enroll":
        enroll(args.out, args.split, args.state)
        return 0
    if args.command == "sweep":
        if args.split != "tune":
            parser.error("sweep tunes the opinion's weight: on the tune split only (--split tune)")
        name = folder(args.out, args.split, args.set).name
        candidates = args.candidates or args.out.parent / f"{name}-candidates.npz"
        sweep(args.out, args.split, candidates, [0.5, 0.55, 0.6, 0.65, 0.7], args.set)
        return 0
    if not args.voices:
        parser.error("corpus needs --voices")
    chosen = voices(args.split, args.voices)
    m = build(args.out, args.split, chosen, args.per_voice, args.negative_minutes, max(1, min(args.jobs, 2)),
              args.set)
    print(f"{folder(args.out, args.split, args.set).name}: {len(m['files'])} files, "
          f"{m['positives']} phrases by {', '.join(m['enrolled'])}, "
          f"{m['hours'] * 60:.1f} min, {m['near_misses']} near-misses, {TAKES} takes each, "
          f"built in {m['built_seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
