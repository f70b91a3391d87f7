"""Enrollment on voices the ear has never heard: does teaching it two voices make it hear them in noise?

    python -m benchmarks.enrollment corpus --split test --voices fest-slt,flite-awb \\
        --out ~/.cache/pi-pause-bench/corpus
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


def folder(out: Path, split: str) -> Path:
    return out / f"{split}-enrolled"


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
          jobs: int) -> dict:
    """Write ``OUT/SPLIT-enrolled`` (scenes, then takes, then the manifest)."""
    started = time.time()
    where = folder(out, split)
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
    parser.add_argument("command", choices=("corpus", "enroll"))
    parser.add_argument("--out", type=Path, default=Path.home() / ".cache" / "pi-pause-bench" / "corpus")
    parser.add_argument("--split", choices=corpus.SPLITS, default="test")
    parser.add_argument("--voices", help="corpus: comma-separated voice ids of the split, e.g. fest-slt,flite-awb")
    parser.add_argument("--state", type=Path, default=Path("/tmp/bench-enr/state"),
                        help="enroll: the state folder to enroll into (a settings file is written there)")
    parser.add_argument("--per-voice", type=int, default=40, help="phrases each voice says in the positives")
    parser.add_argument("--negative-minutes", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "enroll":
        enroll(args.out, args.split, args.state)
        return 0
    if not args.voices:
        parser.error("corpus needs --voices")
    chosen = voices(args.split, args.voices)
    m = build(args.out, args.split, chosen, args.per_voice, args.negative_minutes, max(1, min(args.jobs, 2)))
    print(f"{args.split}-enrolled: {len(m['files'])} files, {m['positives']} phrases by {', '.join(m['enrolled'])}, "
          f"{m['hours'] * 60:.1f} min, {m['near_misses']} near-misses, {TAKES} takes each, "
          f"built in {m['built_seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
