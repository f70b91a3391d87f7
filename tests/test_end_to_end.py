"""End to end with no hardware: a recorded phrase through the service in simulation.

Real components all the way: Piper synthesises the phrase, PocketSphinx hears it in the
WAV fed in real time, the real controller, sessions (Piper clips), Light on gpiozero mock
pins and the WAV sink. Only the wall clock is a ManualClock, so the 20-minute break
passes instantly.
"""

from __future__ import annotations

import dataclasses

import io
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pi_pause import config, wav
from pi_pause.voice.session_clock import FakeClock
from pi_pause.service.controller import State
from pi_pause.service.systemd_notify import Notifier
from pi_pause.voice.rotation import Rotation
from pi_pause.service.parts import real_parts
from pi_pause.service.wiring import Options, Service
from pi_pause.voice.session import Sessions
from pi_pause.wallclock import ManualClock
from tests.standins import eventually


@pytest.fixture(scope="session")
def phrase_wav(tmp_path_factory, joe_voice):
    """One second of room noise, the phrase, then a second and a half of room noise."""
    clip = joe_voice.synthesize("Let's take a pause.")
    rng = np.random.default_rng(7)
    speech = clip.samples.astype(np.float32)
    audio = np.concatenate([np.zeros(clip.rate), speech, np.zeros(int(1.5 * clip.rate))])
    audio += rng.normal(0, 0.01 * np.abs(speech).max(), len(audio))  # about 40 dB below speech
    path = tmp_path_factory.mktemp("e2e") / "phrase.wav"
    wav.write(path, np.clip(audio, -32768, 32767).astype(np.int16), clip.rate)
    return path


class LazySessions(Sessions):
    """The real sessions; clips render on first use instead of all at start-up
    (rendering every spoken return time would take minutes in a test)."""

    def prepare(self, prune: bool = True, stop=None, progress=None):
        return None


def test_a_recorded_phrase_lights_the_led_speaks_and_returns_after_the_break(
        tmp_path, phrase_wav, test_prompts, warm_cache):
    settings = config.parse(f'[paths]\ncache_dir = "{tmp_path}"\nstate_dir = "{tmp_path}"\n'
                            f'socket = "{tmp_path / "control.sock"}"\n'
                            '[listen]\nengine = "pocketsphinx"\n[checkin]\nenabled = false\n')
    parts = dataclasses.replace(real_parts(), make_sessions=lambda s, player, light, **kw: LazySessions(
        s, player, light, kw.get("clock"), prompts=test_prompts, cache=warm_cache,
        rotation=Rotation(None, random.Random(0))))
    clock = ManualClock(datetime(2026, 6, 3, 21, 3, tzinfo=ZoneInfo("Europe/London")))
    out = io.StringIO()
    sound = tmp_path / "sound"
    service = Service(settings, Options(simulate=True, input=phrase_wav, sound_dir=sound),
                      parts=parts, clock=clock, sessions_clock=FakeClock(), out=out,
                      keyboard=io.StringIO(""), notifier=Notifier("")).start()
    try:
        eventually(lambda: service.controller.state is State.ON_BREAK, timeout=30)
        shown = out.getvalue()
        assert "[LED] on\n" in shown and "[LED] slow dim pulse\n" in shown
        # No speaker on a laptop: the terminal shows the lines the voice says.
        said = [line.split(" [voice] ", 1)[1] for line in shown.splitlines() if " [voice] " in line]
        assert said and said[0] in {v.replace("{return_time}", "").strip() for v in
                                    test_prompts.scripts["pause"][0].line.variants}
        spoken = len(service.player.plays)
        assert spoken > 0  # the acknowledgement, the return time and the breathing cues
        clock.advance(22 * 60)  # 21:25, the announced return time
        eventually(lambda: len(service.player.plays) > spoken
                   and service.controller.state is State.RETURNING
                   and not service.controller.runner.busy, timeout=30)
        clock.advance(60)
        eventually(lambda: service.controller.state is State.IDLE)
        assert out.getvalue().endswith("[LED] off\n")
    finally:
        service.stop()
    audio = wav.read(sound / "pi-pause-sound.wav")
    assert np.abs(audio).max() > 1000  # real speech was produced
