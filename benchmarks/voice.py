"""Voice and light benchmarks: render times, trigger latency, memory.

    .venv/bin/python benchmarks/voice.py                  # renders every clip cold: minutes
    .venv/bin/python benchmarks/voice.py --folder DIR     # reuse DIR/cache (warm figures only)
    .venv/bin/python benchmarks/voice.py --voice heart    # the same with hibari's heart

Measures, with the real prompts and a packaged voice (joe unless --voice):
- rendering every clip the scripts need, into an empty cache (cold) and again (warm);
- from a trigger (Sessions.run called) to the LED on, and to the first sample of
  speech handed to the audio sink, with a warm cache (median and worst of 20);
- from a trigger to the first breathing cue with an EMPTY cache (real clock, speech
  played in real time): every clip up to that cue is rendered on the spot, the way a
  pause goes on a first start before the background render has finished (3 runs);
- peak resident memory of a process that runs a whole pause from the cache
  (the voice never loaded) and of one that also loads the voice and synthesises.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from pi_pause import config  # noqa: E402


VOICE = ""  # [voice] model; set from --voice


def settings_in(folder: Path) -> config.Settings:
    return config.parse(f'[paths]\ncache_dir = "{folder}/cache"\nstate_dir = "{folder}/state"\n'
                        f'[voice]\nmodel = "{VOICE}"\n')


def start_pause(sessions) -> tuple[threading.Thread, threading.Event, float]:
    """The pause script started on a thread of its own, as the service's runner does:
    (the thread, its cancel flag, the trigger's moment on the perf_counter clock)."""
    import datetime as dt

    from pi_pause.voice.session import return_time

    cancel = threading.Event()
    context = {"return_time": return_time(dt.datetime.now(), 20)}
    worker = threading.Thread(target=sessions.run, args=("pause",),
                              kwargs={"cancel": cancel, "skip": threading.Event(), "context": context})
    start = time.perf_counter()
    worker.start()
    return worker, cancel, start


def first_breath_cold(runs: int = 3) -> list[float]:
    """Seconds from the trigger to the first breathing cue, each run with an empty cache."""
    from pi_pause.voice.breathing import LOW
    from pi_pause.voice.light import Light
    from pi_pause.voice.player import MemorySink
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import Sessions

    seconds = []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as empty:
            light = Light(None)
            sessions = Sessions(settings_in(Path(empty)), MemorySink(realtime=True), light,
                                rotation=Rotation(None, random.Random(i)))
            marks = {}
            fade = light.fade

            def first_breath(to, seconds, fade=fade, marks=marks):
                if to == LOW and seconds == 0 and "breath" not in marks:
                    marks["breath"] = time.perf_counter()
                fade(to, seconds)

            light.fade = first_breath
            worker, cancel, start = start_pause(sessions)
            while "breath" not in marks and worker.is_alive():
                time.sleep(0.005)
            cancel.set()
            worker.join()
            light.close()
            seconds.append(marks["breath"] - start)
    return seconds


def render(settings) -> tuple[float, int, float]:
    from pi_pause.voice.light import Light
    from pi_pause.voice.session import Sessions

    sessions = Sessions(settings, None, Light(None))
    report = sessions.prepare()
    return report.seconds, report.rendered + report.cached, report.rendered


def latency(settings, runs: int = 20) -> tuple[list[float], list[float]]:
    from pi_pause.voice.light import Light
    from pi_pause.voice.player import MemorySink
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import Sessions

    led_ms, audio_ms = [], []
    light = Light(18)
    for i in range(runs):
        sink = MemorySink(realtime=True)
        sessions = Sessions(settings, sink, light, rotation=Rotation(None, random.Random(i)))
        marks = {}
        original_on = light.on

        def on():
            original_on()
            marks["led"] = time.perf_counter()

        light.on = on
        worker, cancel, start = start_pause(sessions)
        while sink.first_sample_at is None and worker.is_alive():
            time.sleep(0.001)
        cancel.set()
        worker.join()
        light.on = original_on
        led_ms.append((marks["led"] - start) * 1000)
        audio_ms.append((sink.first_sample_at - start) * 1000)
    light.close()
    return led_ms, audio_ms


RSS_SCRIPT = """
import sys, threading, random
sys.path.insert(0, {root!r})
from pi_pause import config
from pi_pause.voice.session_clock import FakeClock
from pi_pause.voice.light import Light
from pi_pause.voice.player import MemorySink
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.session import Sessions
settings = config.parse('[paths]\\ncache_dir = "{folder}/cache"\\nstate_dir = "{folder}/state"\\n'
                        '[voice]\\nmodel = "{voice}"\\n')
clock = FakeClock()
s = Sessions(settings, MemorySink(clock=clock), Light(None, clock=clock.now), clock,
             rotation=Rotation(None, random.Random(0)))
s.run("pause", cancel=threading.Event(), skip=threading.Event(), context={{}})
assert not s.cache.voice.loaded
if {with_voice}:
    s.cache.voice.synthesize("Let's take a pause.")
# VmHWM: this process's own peak (ru_maxrss would include the parent's, inherited at fork)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(int(hwm.split()[1]) / 1024)
"""


def peak_rss(folder: Path, with_voice: bool) -> float:
    code = RSS_SCRIPT.format(root=str(ROOT), folder=str(folder), with_voice=with_voice, voice=VOICE)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None,
                        help="reuse this folder's cache (default: a fresh one, so the first "
                             "render is cold)")
    parser.add_argument("--voice", default="", help="[voice] model: joe (default), heart or a path")
    args = parser.parse_args()
    global VOICE
    VOICE = args.voice
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        settings = settings_in(folder)
        rows = []
        first, clips, rendered = render(settings)
        if rendered:
            rows.append(("Render all prompts, cold", f"{first:.1f} s ({rendered} clips)"))
        warm, clips, rendered = render(settings)
        rows.append(("Render all prompts, warm", f"{warm:.2f} s ({clips} clips checked, "
                                                 f"{rendered} rendered)"))
        led, audio = latency(settings)
        rows.append(("Trigger -> LED on (warm cache, 20 runs)",
                     f"median {statistics.median(led):.2f} ms, max {max(led):.2f} ms"))
        rows.append(("Trigger -> first sample at the sink (warm cache, 20 runs)",
                     f"median {statistics.median(audio):.1f} ms, max {max(audio):.1f} ms"))
        cold = first_breath_cold()
        rows.append(("Trigger -> first breathing cue, EMPTY cache (real clock, 3 runs)",
                     ", ".join(f"{s:.1f} s" for s in cold)))
        rows.append(("Peak RSS, whole pause from the cache (the voice not loaded)",
                     f"{peak_rss(folder, False):.0f} MB"))
        rows.append(("Peak RSS, same plus the voice loaded and synthesising",
                     f"{peak_rss(folder, True):.0f} MB"))
    print(f"voice: {VOICE or 'joe'}\n\n| Measure | Result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
