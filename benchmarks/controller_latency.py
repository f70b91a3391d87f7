"""How fast does the LED react? From a detection (or a press) posted to the controller
to the LED pin driven high, with the real controller and a real gpiozero PWMLED on mock pins.

Goal (design.md): LED on within 50 ms of detection. Run:

    .venv/bin/python benchmarks/controller_latency.py [--trials 200]

It prints the median, 95th percentile and maximum, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpiozero import PWMLED  # noqa: E402
from gpiozero.pins.mock import MockFactory, MockPWMPin  # noqa: E402

from pi_pause.config import PauseSettings  # noqa: E402
from pi_pause.service.controller import Controller, State  # noqa: E402
from pi_pause.events import ButtonHeld, PhraseHeard  # noqa: E402
from pi_pause.wallclock import ManualClock  # noqa: E402


class TimedLight:
    """A PWMLED that notes when it was switched on."""

    def __init__(self, factory) -> None:
        self.led = PWMLED(18, pin_factory=factory)
        self.lit = threading.Event()
        self.lit_at = 0.0

    def on(self):
        self.led.on()
        self.lit_at = time.perf_counter()
        self.lit.set()

    def off(self):
        self.led.off()

    def pulse_slow(self):
        self.led.value = 0.1

    def fade(self, to, seconds):
        self.led.value = to


class SilentSessions:
    """Scripts that wait for cancel: only the controller's own reaction is measured."""

    def run(self, kind, *, cancel, skip, context):
        cancel.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    factory = MockFactory(pin_class=MockPWMPin)
    light = TimedLight(factory)
    clock = ManualClock(datetime(2026, 6, 3, 21, 0, tzinfo=timezone.utc))
    controller = Controller(SilentSessions(), light, PauseSettings(), clock).start()
    latencies = []
    for _ in range(args.trials):
        light.lit.clear()
        clock.advance(5)  # past the echo guard's tail
        posted = time.perf_counter()
        controller.post(PhraseHeard("let's take a pause", 0.0))
        light.lit.wait(2)
        latencies.append((light.lit_at - posted) * 1000)
        assert light.led.value == 1
        controller.post(ButtonHeld())
        while controller.state is not State.IDLE:
            time.sleep(0.001)
    controller.stop()
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"LED on after a detection, {len(latencies)} trials: median "
          f"{statistics.median(latencies):.2f} ms, p95 {p95:.2f} ms, max {latencies[-1]:.2f} ms")


if __name__ == "__main__":
    main()
