"""The same recordings through the two-stage ear on x86-64 and on 64-bit ARM: do they agree?

    python -m benchmarks.arm64_compare clips OUT_DIR          # x86 side: make the noisy recordings
    python -m benchmarks.arm64_compare scores FILE... --json OUT.json
    python -m benchmarks.arm64_compare compare X86.json ARM.json

``clips`` writes a few short WAVs: Piper's joe voice saying the phrase inside an
argument line, mixed with babble or a TV soundtrack (benchmarks/mixing.py), and one
recording of near-misses only. ``scores`` streams each file through
``open_spotter(Settings(), engine="two-stage")`` exactly as ``pi-pause detect`` does
(verification inline) and records every score the Whisper verifier gives, with the
process CPU each took. ``compare`` lines the two runs up: the same detections
(times within ``--time-tol``), and each file's best verifier score within
``--score-tol``. It exits 1 when they differ.

CPU seconds from an emulated run say nothing about a Pi; ``compare`` reports the
x86 side's, for docs/benchmarks.md's ratio estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pi_pause import config, wav  # noqa: E402
from pi_pause.ear import spotter, verifier  # noqa: E402

RATE = 16_000
SEED = 2020

# (name, noise, SNR dB, lead line, the phrase or a near-miss, tail line, voice index)
SCENES = (
    ("babble-10db", "babble", 10.0, "You said you would be home by seven and it's almost ten.",
     "let's take a pause", "", 0),
    ("tv-10db", "tv", 10.0, "That's not what I said and you know it.", "let's take a pause",
     "I mean it.", 1),
    ("babble-10db-reverb", "babble", 10.0, "", "let's take a pause",
     "Please, just for a minute.", 2),
    ("near-miss-tv-10db", "tv", 10.0, "Fine, let's take a bus then.", "Can you pause the movie for a second?",
     "", 3),
)


def make_clips(out: Path) -> list[Path]:
    """The recordings of :data:`SCENES`, written as 16 kHz WAVs into ``out``."""
    from benchmarks import corpus, mixing, sentences

    out.mkdir(parents=True, exist_ok=True)
    synth = corpus.Synth(out / ".speech-cache")
    voices = [v for v in corpus.VOICES["test"] if v.engine == "piper"]
    babble_voices = [v for v in corpus.VOICES["tune"] if v.engine == "piper"][:3]
    babble_lines = sentences.lines(sentences.BABBLE)[:12]
    noise_clips = [synth.say(text, babble_voices[i % len(babble_voices)]) for i, text in enumerate(babble_lines)]
    written = []
    for k, (name, noise, snr, lead, middle, tail, voice) in enumerate(SCENES):
        rng = np.random.default_rng(SEED + k)
        v = voices[voice % len(voices)]
        pause = np.zeros(int(0.4 * RATE), np.float32)
        pieces = [np.zeros(int(1.0 * RATE), np.float32)]
        for text in (lead, middle, tail):
            if text:
                pieces += [synth.say(text, v), pause]
        pieces.append(np.zeros(int(1.0 * RATE), np.float32))
        speech = np.concatenate(pieces)
        if "reverb" in name:
            speech = mixing.convolve(speech, mixing.room_impulse(rng, 0.4, 2.0))[:len(speech)]
        active = np.abs(speech) > 0.01 * np.max(np.abs(speech))
        bed = (mixing.babble(rng, noise_clips, len(speech), talkers=4) if noise == "babble"
               else mixing.tv(rng, noise_clips, len(speech)))
        mix = speech + mixing.scale_to_snr(speech, bed, snr, active)
        mix = (mix / max(1.0, float(np.max(np.abs(mix))) / 0.9)).astype(np.float32)
        path = out / f"{name}.wav"
        wav.write(path, mix)
        written.append(path)
        print(f"{path}  {len(mix) / RATE:.1f} s  ({noise} at {snr:g} dB; says {middle!r})")
    return written


MARK_FD = 1023  # benchmarks/insn_count/insn_count.c notes the instruction count at each write to it


def mark() -> None:
    """Tell the instruction-counting plugin (when there is one) to note its count now."""
    try:
        os.write(MARK_FD, b".")
    except OSError:  # not open: that is the point, the plugin sees the attempt
        pass


def score_files(files: list[Path]) -> list[dict]:
    """Each file's detections and every verifier score (with its process CPU), via ``open_spotter``.

    Under the counting plugin, the marks fall: at each file's start, before and after each
    verifier call, and at its end (:func:`instruction_counts` pairs them up)."""
    scores: list[tuple[float, float]] = []
    original = verifier.WhisperVerifier.score

    def recording(self, windows, phrase):
        mark()
        start = time.process_time()
        value = original(self, windows, phrase)
        scores.append((value, time.process_time() - start))
        mark()
        return value

    verifier.WhisperVerifier.score = recording
    results = []
    s_threshold = verifier.threshold_for(config.Settings().listen.sensitivity)
    try:
        with spotter.open_spotter(config.Settings(), engine="two-stage") as s:
            for path in files:
                samples = wav.read(path)
                scores.clear()
                s.reset()
                mark()
                cpu = time.process_time()
                heard = [h for frame in wav.frames(samples, 1600) if (h := s.feed(frame))]
                if (last := s.finish()) is not None:
                    heard.append(last)
                cpu = time.process_time() - cpu
                mark()
                results.append({
                    "file": path.name, "seconds": round(len(samples) / RATE, 2),
                    "detections": [round(h.time, 2) for h in heard],
                    "scores": [round(v, 3) for v, _ in scores],
                    "best": round(max((v for v, _ in scores), default=float("-inf")), 3),
                    "verifier_cpu": [round(c, 3) for _, c in scores],
                    "cpu": round(cpu, 2), "threshold": round(s_threshold, 3)})
    finally:
        verifier.WhisperVerifier.score = original
    return results


def instruction_counts(results: list[dict], marks_file: Path) -> dict:
    """Guest instructions per verifier call and per audio second, from the plugin's marks."""
    counts = [int(line.split()[1]) for line in marks_file.read_text().splitlines()
              if not line.startswith("end")]
    verifier_calls, listener, seconds, k = [], 0, 0.0, 0
    for r in results:
        start = counts[k]
        for _ in r["scores"]:
            verifier_calls.append(counts[k + 2] - counts[k + 1])
            k += 2
        end = counts[k + 1]
        k += 2
        listener += end - start
        seconds += r["seconds"]
    return {"verifier_per_window": float(np.median(verifier_calls)) if verifier_calls else 0.0,
            "windows": len(verifier_calls), "listener_per_second": listener / seconds,
            "audio_seconds": seconds}


def compare(x86: list[dict], arm: list[dict], time_tol: float, score_tol: float) -> bool:
    """Print the two runs side by side; True when every file agrees."""
    arm_by_file = {r["file"]: r for r in arm}
    agree = True
    print(f"{'file':<24} {'x86 detections':<16} {'arm64 detections':<16} {'x86 best':>9} {'arm64 best':>10} "
          f"{'diff':>6}  candidates x86/arm64  verdict")
    for a in x86:
        b = arm_by_file.get(a["file"])
        if b is None:
            print(f"{a['file']:<24} missing on arm64")
            agree = False
            continue
        same_times = (len(a["detections"]) == len(b["detections"])
                      and all(abs(p - q) <= time_tol for p, q in zip(a["detections"], b["detections"])))
        diff = abs(a["best"] - b["best"]) if np.isfinite(a["best"]) and np.isfinite(b["best"]) else (
            0.0 if a["best"] == b["best"] else float("inf"))
        ok = same_times and diff <= score_tol
        agree &= ok
        print(f"{a['file']:<24} {str(a['detections']):<16} {str(b['detections']):<16} {a['best']:>9.3f} "
              f"{b['best']:>10.3f} {diff:>6.3f}  {len(a['scores']):>4}/{len(b['scores']):<4}"
              f"            {'same' if ok else 'DIFFERENT'}")
    cpu = [c for r in x86 for c in r["verifier_cpu"]]
    seconds = sum(r["seconds"] for r in x86)
    print(f"tolerances: detection times within {time_tol} s, best verifier score within {score_tol}"
          f" (log-probability; threshold {x86[0]['threshold'] if x86 else '?'})")
    if cpu:
        print(f"x86-64 CPU: verifier {np.median(cpu):.3f} s per candidate window (median of {len(cpu)}), "
              f"listener {sum(r['cpu'] for r in x86) / seconds:.3f} s per audio second ({seconds:.0f} s of audio)")
    return agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("clips", help="make the noisy recordings")
    p.add_argument("out", type=Path)
    p = sub.add_parser("scores", help="detections and verifier scores of each file")
    p.add_argument("files", type=Path, nargs="+")
    p.add_argument("--json", type=Path, required=True)
    p = sub.add_parser("counts", help="instructions per verifier call, from a 'scores' run under the plugin")
    p.add_argument("scores_json", type=Path)
    p.add_argument("marks", type=Path)
    p = sub.add_parser("compare", help="line up two 'scores' runs")
    p.add_argument("x86", type=Path)
    p.add_argument("arm", type=Path)
    p.add_argument("--time-tol", type=float, default=0.1)
    p.add_argument("--score-tol", type=float, default=0.5)
    args = parser.parse_args(argv)
    if args.command == "clips":
        make_clips(args.out)
        return 0
    if args.command == "scores":
        results = score_files(args.files)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        for r in results:
            print(f"{r['file']}: detections {r['detections']}, best verifier score {r['best']:.3f} "
                  f"of {len(r['scores'])} candidate windows")
        return 0
    if args.command == "counts":
        c = instruction_counts(json.loads(args.scores_json.read_text()), args.marks)
        print(f"arm64 instructions: verifier {c['verifier_per_window'] / 1e9:.2f} G per candidate window "
              f"(median of {c['windows']}); listener, verifier included, "
              f"{c['listener_per_second'] / 1e9:.2f} G per audio second ({c['audio_seconds']:.0f} s of audio)")
        return 0
    agree = compare(json.loads(args.x86.read_text()), json.loads(args.arm.read_text()),
                    args.time_tol, args.score_tol)
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
