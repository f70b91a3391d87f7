"""Sessions: speech, silences, breathing and light on one clock (real Piper clips,
gpiozero mock pins, the short scripts in tests/voice_prompts/)."""

import datetime as dt
import random
import threading
import time

import numpy as np
import pytest
from tests.voice_support import settings_for

from pi_pause.voice.breathing import LOW, timeline
from pi_pause.voice.clip_cache import ClipCache
from pi_pause.voice.chime import chime
from pi_pause.voice.session_clock import FakeClock, RealClock
from pi_pause.voice.light import Light
from pi_pause.voice.player import MemorySink
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.session import JOIN_SECONDS, Sessions
from pi_pause.voice.voice import Clip, Voice
from tests.voice_support import piper

RETURN = {"return_time": dt.datetime(2026, 3, 1, 21, 40)}


def fake_session(tmp_path, test_prompts, cache, seed=0, **pause):
    clock = FakeClock()
    sink = MemorySink(clock=clock)
    light = Light(None, clock=clock.now, record=True)
    sessions = Sessions(settings_for(tmp_path, **pause), sink, light, clock, prompts=test_prompts,
                        cache=cache, rotation=Rotation(None, random.Random(seed)))
    return sessions, sink, light, clock


def run(sessions, kind, context=RETURN, cancel=None, skip=None):
    sessions.run(kind, cancel=cancel or threading.Event(), skip=skip or threading.Event(),
                 context=context)


def test_breathing_phases_last_exactly_their_length(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "pause")
    rate = sink.rate
    (t_hello, n_hello, _), (t_when, n_when, _), (t_in, _, _), (t_out, _, _), (t_in2, _, _), \
        (t_out2, _, _), (t_bye, _, _) = sink.plays
    # A spoken line lasts its audio plus its `after` silence, to the sample.
    assert t_hello == 0.0
    assert t_when == pytest.approx(n_hello / rate + 0.4, abs=1e-9)
    breath_start = t_when + n_when / rate + 0.3
    phases = timeline(test_prompts.patterns["cyclic-sigh"], cycles=2)
    # Cues play at the start of their phase, in every cycle.
    assert t_in == pytest.approx(breath_start, abs=1e-9)
    assert t_out == pytest.approx(breath_start + 1.8, abs=1e-9)
    assert t_in2 == pytest.approx(breath_start + 3.3, abs=1e-9)
    assert t_out2 == pytest.approx(breath_start + 3.3 + 1.8, abs=1e-9)
    # The light fades over each phase, starting at each phase's start.
    fades = [p for p in light.history if p.seconds > 0][: len(phases)]
    assert [round(f.t0 - breath_start, 6) for f in fades] == [round(p.start, 6) for p in phases]
    assert [f.seconds for f in fades] == pytest.approx([p.seconds for p in phases], abs=0.02)
    assert [f.target for f in fades] == pytest.approx([p.level for p in phases])
    # After the breathing (2 cycles of 3.3 s) and a 0.5 s silence comes the last line.
    assert t_bye == pytest.approx(breath_start + 2 * 3.3 + 0.5, abs=1e-9)


def test_pause_starts_with_full_light_and_inhales_grow_from_the_bottom(tmp_path, test_prompts,
                                                                         warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "pause")
    first = light.history[0]
    assert (first.t0, first.level(0.0)) == (0.0, 1.0)
    drop = next(p for p in light.history if p.target == LOW and p.seconds == 0)
    assert drop.t0 == pytest.approx(sink.plays[2][0])  # at the first breath in


def test_return_time_is_spoken_after_the_line_that_leads_to_it(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "pause")
    time_clip = warm_cache.load("at twenty to ten.")
    assert time_clip is not None
    heads = [warm_cache.load(sessions._split(v)[0]) for v in test_prompts.scripts["pause"][1].line.variants]
    n_when = sink.plays[1][1]
    gap = int(JOIN_SECONDS * sink.rate)
    assert any(h is not None and len(h.samples) + gap + len(time_clip.samples) == n_when for h in heads)


def test_a_warm_cache_plays_a_whole_pause_without_loading_piper(tmp_path, test_prompts, warm_cache):
    sessions, *_ = fake_session(tmp_path, test_prompts, warm_cache, seed=3)
    run(sessions, "pause")  # warms the clips these picks need
    fresh_voice = piper(warm_cache.voice.engine.model, warm_cache.voice.engine.length_scale)
    cold_start = ClipCache(warm_cache.directory, fresh_voice)
    again, sink, *_ = fake_session(tmp_path, test_prompts, cold_start, seed=3)
    run(again, "pause")
    assert len(sink.plays) == 7
    assert not fresh_voice.loaded and cold_start.synthesised == 0


def test_return_chimes_offers_more_time_and_leaves_the_light_off(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "return", context={})
    (t_chime, n_chime, _), (t_more, _, _) = sink.plays
    assert n_chime == len(chime(sink.rate))
    assert t_more == pytest.approx(n_chime / sink.rate, abs=1e-9)
    assert any("ten minutes" in t for t in sessions.texts())
    assert light.value == 0.0


def test_texts_cover_every_variant_cue_and_spoken_return_time(tmp_path, test_prompts, warm_cache):
    sessions, *_ = fake_session(tmp_path, test_prompts, warm_cache)
    texts = sessions.texts()
    assert "at twenty to ten." in texts and "at noon." in texts
    assert "Back" in texts and "Slowly out." in texts
    assert "Another ten minutes?" in texts
    assert len(texts) == len(set(texts))


def test_unknown_script_is_refused(tmp_path, test_prompts, warm_cache):
    sessions, *_ = fake_session(tmp_path, test_prompts, warm_cache)
    with pytest.raises(ValueError, match="unknown script 'break'"):
        run(sessions, "break")


# -- on the real clock, with a mock LED ------------------------------------------------


def real_session(tmp_path, test_prompts, cache, kind):
    # The same picks on a fake clock first, so every clip the real run needs is cached.
    warm_up, *_ = fake_session(tmp_path, test_prompts, cache, seed=0)
    run(warm_up, kind)
    sink = MemorySink(realtime=True)
    light = Light(18, record=True)
    sessions = Sessions(settings_for(tmp_path), sink, light, RealClock(), prompts=test_prompts,
                        cache=cache, rotation=Rotation(None, random.Random(0)))
    return sessions, sink, light


def pin_level_at(pin, t):
    """The pin's value at absolute monotonic time ``t``."""
    first = pin.states[0]
    now, value = pin._last_change - sum(s.timestamp for s in pin.states[1:]), first.state
    for state in pin.states[1:]:
        if now + state.timestamp > t:
            break
        now += state.timestamp
        value = state.state
    return value


def test_led_follows_the_breathing_phases_on_the_real_clock(tmp_path, test_prompts, warm_cache,
                                                              mock_pins):
    sessions, sink, light = real_session(tmp_path, test_prompts, warm_cache, "pause")
    run(sessions, "pause")
    light.close()
    pin = mock_pins.pin(18)
    phases = timeline(test_prompts.patterns["cyclic-sigh"], cycles=2)
    fades = [p for p in light.history if p.seconds > 0][: len(phases)]
    starts = [f.t0 for f in fades]
    # Each phase starts where the clock says it should (within gpiozero's own 50 ms
    # tolerance for real time; the fake-clock test above pins exact lengths).
    for f, p in zip(fades, phases):
        assert abs((f.t0 - starts[0]) - p.start) < 0.05
    # And the LED itself reaches each phase's level as the phase ends.
    for f, p in zip(fades, phases):
        end = starts[0] + p.end
        assert pin_level_at(pin, end - 0.03) == pytest.approx(p.level, abs=0.08)
    assert pin_level_at(pin, (starts[0] + phases[0].start + starts[0] + phases[0].end) / 2) \
        == pytest.approx((LOW + phases[0].level) / 2, abs=0.08)


def test_cancel_stops_audio_and_light_within_50_ms(tmp_path, test_prompts, warm_cache, mock_pins):
    sessions, sink, light = real_session(tmp_path, test_prompts, warm_cache, "pause")
    cancel = threading.Event()
    worker = threading.Thread(target=run, args=(sessions, "pause"), kwargs={"cancel": cancel})
    mock_pins.pin(18).clear_states()  # time the states from the trigger
    worker.start()
    time.sleep(0.25)  # in the middle of the first spoken line
    assert mock_pins.pin(18).state == 1.0
    cancel.set()
    stopped = time.monotonic()
    worker.join(timeout=2)
    elapsed = time.monotonic() - stopped
    assert elapsed < 0.05
    assert mock_pins.pin(18).state == 0.0
    played = sink.plays[-1][1]
    first_clip = len(sink.audio())
    assert len(sink.plays) == 1 and played == first_clip
    assert played / sink.rate < 0.3  # cut short, not played out
    time.sleep(0.2)
    assert len(sink.plays) == 1 and mock_pins.pin(18).state == 0.0
    # dark at start-up, full on at the trigger, dark again at the cancel, nothing after
    mock_pins.pin(18).assert_states_and_times([(0.0, 0.0), (0.0, 1.0), (0.25, 0.0)])
    assert len(mock_pins.pin(18).states) == 3
    light.close()


def test_skip_jumps_past_a_long_silence(tmp_path, test_prompts, warm_cache, mock_pins):
    sessions, sink, light = real_session(tmp_path, test_prompts, warm_cache, "checkin")
    skip = threading.Event()
    worker = threading.Thread(target=run, args=(sessions, "checkin"), kwargs={"skip": skip})
    start = time.monotonic()
    worker.start()
    time.sleep(1.5)  # past "Hello", inside the 30-second silence
    skip.set()
    worker.join(timeout=10)
    assert time.monotonic() - start < 4.0
    assert not skip.is_set()  # consumed
    assert len(sink.plays) == 2  # the closing line was still spoken
    assert mock_pins.pin(18).state == 0.0
    light.close()


def test_volume_scales_the_speech(tmp_path, test_prompts, warm_cache):
    loud, sink_loud, *_ = fake_session(tmp_path, test_prompts, warm_cache, seed=5)
    quiet, sink_quiet, *_ = fake_session(tmp_path, test_prompts, warm_cache, seed=5)
    quiet.settings = settings_for(tmp_path, voice={"volume": 0.4})
    run(loud, "checkin", context={})
    run(quiet, "checkin", context={})
    a, b = sink_loud.audio(), sink_quiet.audio()
    assert len(a) == len(b)
    assert np.abs(b).max() == pytest.approx(np.abs(a).max() * 0.4 / 0.8, rel=0.02)


def test_cancel_is_obeyed_at_once_even_while_a_missing_clip_renders(tmp_path, test_prompts,
                                                                     joe_voice, mock_pins):
    voice = _HeldVoice(joe_voice)
    cold = ClipCache(tmp_path / "empty-cache", voice)
    sink = MemorySink(realtime=True)
    light = Light(18)
    sessions = Sessions(settings_for(tmp_path), sink, light, RealClock(), prompts=test_prompts,
                        cache=cold, rotation=Rotation(None, random.Random(0)))
    cancel = threading.Event()
    worker = threading.Thread(target=run, args=(sessions, "checkin"), kwargs={"cancel": cancel})
    worker.start()
    try:
        assert voice.rendering.wait(timeout=10)  # Piper is busy with the first line now
        cancel.set()
        stopped = time.monotonic()
        worker.join(timeout=5)
        assert time.monotonic() - stopped < 0.05
        assert sink.plays == [] and mock_pins.pin(18).state == 0.0
    finally:
        voice.go_on.set()
        voice.done.wait(timeout=10)  # let the render thread finish before the test run ends
        light.close()


class _HeldVoice:
    """The real voice, except that a render only finishes when the test says so: a warm
    Piper on an idle machine renders a short line faster than a test can cancel it."""

    def __init__(self, voice):
        self._voice = voice
        self.rendering = threading.Event()
        self.go_on = threading.Event()
        self.done = threading.Event()

    def __getattr__(self, name):
        return getattr(self._voice, name)

    def synthesize(self, text):
        self.rendering.set()
        self.go_on.wait(timeout=10)
        try:
            return self._voice.synthesize(text)
        finally:
            self.done.set()


def test_a_broken_voice_still_runs_the_pause_on_the_light_and_says_why_once(
        tmp_path, test_prompts, joe_voice, warm_cache, caplog):
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not a model" * 20)
    (tmp_path / "broken.onnx.json").write_text(joe_voice.engine.config_path.read_text())
    cache = ClipCache(tmp_path / "cache", piper(model))
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, cache)
    run(sessions, "pause")  # no exception: the pause goes on without a voice
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "broken.onnx: Piper cannot load this voice" in errors[0]
    assert sink.plays and not sink.audio().any()  # silence where the words would be, never noise
    # The same pause with a working voice takes as long and breathes the same light.
    spoken, _, spoken_light, spoken_clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(spoken, "pause")
    assert [round(p.target, 2) for p in light.history] == [round(p.target, 2) for p in spoken_light.history]
    assert abs(clock.now() - spoken_clock.now()) < 0.25 * spoken_clock.now()


# -- the break protocol and the check-in's turns (fake clock) ----------------------


def test_more_time_is_said_with_the_new_time(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "extend", context={"return_time": dt.datetime(2026, 3, 1, 21, 55)})
    time_clip = warm_cache.load("at five to ten.")  # the test prompts use British forms
    assert time_clip is not None
    (t, n, _), = sink.plays
    heads = [warm_cache.load(sessions._split(v)[0]) for v in test_prompts.scripts["extend"][0].line.variants]
    gap = int(JOIN_SECONDS * sink.rate)
    assert any(h is not None and len(h.samples) + gap + len(time_clip.samples) == n for h in heads)
    assert light.value == 1.0  # the controller turns the break's pulse back on afterwards


def test_an_early_press_says_the_time_left_in_whole_minutes(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    run(sessions, "remaining", context={"remaining": 11.2})
    said = warm_cache.load("twelve minutes.")
    assert said is not None
    (t, n, _), = sink.plays
    gap = int(JOIN_SECONDS * sink.rate)
    heads = [warm_cache.load(sessions._split(v)[0]) for v in test_prompts.scripts["remaining"][0].line.variants]
    assert any(h is not None and len(h.samples) + gap + len(said.samples) == n for h in heads)
    texts = sessions.texts()  # rendered in advance, for any early press in a 20-minute break
    assert "one minute." in texts
    assert all(f"{w} minutes." in texts for w in ("five", "twenty", "twenty-five"))


def turns_folder(tmp_path):
    import shutil

    from tests.voice_support import TEST_PROMPTS

    folder = tmp_path / "prompts"
    shutil.copytree(TEST_PROMPTS, folder)
    (folder / "checkin.toml").write_text('''
[[step]]
say = "ask"
after = 0.0
variants = ["Hello.", "Hi.", "Evening.", "Welcome.", "Good evening."]

[[step]]
turns = true
variants = ["Swap.", "Now you.", "Other one.", "Your turn.", "Switch."]

[[step]]
say = "end"
variants = ["Night.", "Sleep well.", "Good night.", "Rest well.", "See you."]
''')
    return folder


def test_each_partner_gets_a_turn_with_a_chime_between_and_after(tmp_path, warm_cache):
    from pi_pause import config
    from pi_pause.voice import prompts

    settings = config.parse(f'[paths]\ncache_dir = "{tmp_path}/c"\nstate_dir = "{tmp_path}/s"\n'
                            '[checkin]\nturn_minutes = 2.0\n')
    clock = FakeClock()
    sink = MemorySink(clock=clock)
    sessions = Sessions(settings, sink, Light(None, clock=clock.now, record=True), clock,
                        prompts=prompts.load(turns_folder(tmp_path)), cache=warm_cache,
                        rotation=Rotation(None, random.Random(0)))
    run(sessions, "checkin", context={})
    (t_ask, n_ask, _), (t_c1, n_c1, _), (t_swap, n_swap, _), (t_c2, _, _), (t_end, _, _) = sink.plays
    chime_seconds = len(chime(sink.rate)) / sink.rate
    assert n_c1 == len(chime(sink.rate))
    assert t_c1 == pytest.approx(t_ask + n_ask / sink.rate + 120.0, abs=1e-6)  # two minutes each
    assert t_swap == pytest.approx(t_c1 + chime_seconds, abs=1e-6)
    assert t_c2 == pytest.approx(t_swap + n_swap / sink.rate + 0.5 + 120.0, abs=1e-6)
    assert t_end == pytest.approx(t_c2 + chime_seconds, abs=1e-6)


def test_a_short_press_in_a_turn_moves_on_to_the_next_turn(tmp_path, warm_cache, mock_pins):
    from pi_pause import config
    from pi_pause.voice import prompts

    settings = config.parse(f'[paths]\ncache_dir = "{tmp_path}/c"\nstate_dir = "{tmp_path}/s"\n'
                            '[checkin]\nturn_minutes = 2.0\n')
    folder = turns_folder(tmp_path)
    warm, *_ = fake_session(tmp_path, prompts.load(folder), warm_cache)
    run(warm, "checkin", context={})  # every clip cached
    sink = MemorySink(realtime=True)
    light = Light(18, record=True)
    sessions = Sessions(settings, sink, light, RealClock(), prompts=prompts.load(folder),
                        cache=warm_cache, rotation=Rotation(None, random.Random(0)))
    skip = threading.Event()
    worker = threading.Thread(target=run, args=(sessions, "checkin"),
                              kwargs={"skip": skip, "context": {}})
    worker.start()
    time.sleep(1.5)  # inside the first person's turn
    skip.set()
    deadline = time.monotonic() + 10
    while len(sink.plays) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sink.plays) >= 2 and not skip.is_set()  # the chime came, not the end
    time.sleep(0.5)
    skip.set()  # the second turn too
    worker.join(timeout=15)
    assert not worker.is_alive()
    assert len(sink.plays) == 5  # hello, chime, swap, chime, good night: nothing was cut
    light.close()


# -- one loudness -------------------------------------------------------------------


def test_every_clip_and_the_chime_share_one_loudness_under_the_true_peak_ceiling(
        tmp_path, test_prompts, warm_cache):
    from pi_pause.voice.loudness import CEILING_DBTP, TARGET_LUFS, loudness, true_peak_db

    sessions, *_ = fake_session(tmp_path, test_prompts, warm_cache)
    texts = [t for t in sessions.texts() if not t.startswith("at ")]  # the times: a sample below
    texts += ["at twenty to ten.", "at noon.", "twelve minutes."]
    clips = [warm_cache.get(t) for t in texts]
    levels = [loudness(c.samples / 32768, c.rate) for c in clips]
    rate = clips[0].rate
    levels.append(loudness(chime(rate) / 32768, rate))
    assert max(levels) - min(levels) <= 1.0, (min(levels), max(levels))
    assert abs(float(np.mean(levels)) - TARGET_LUFS) <= 0.5
    peaks = [true_peak_db(c.samples / 32768) for c in clips] + [true_peak_db(chime(rate) / 32768)]
    assert max(peaks) <= CEILING_DBTP + 0.05



def test_a_voice_sample_never_touches_the_light(tmp_path, test_prompts, warm_cache, mock_pins):
    """"Hear a sample" is a voice only: the LED means a pause (or the check-in)."""
    light = Light(18, pin_factory=mock_pins, record=True)
    clock = FakeClock()
    sessions = Sessions(settings_for(tmp_path), MemorySink(clock=clock), light, clock,
                        prompts=test_prompts, cache=warm_cache, rotation=Rotation(None, random.Random(0)))
    light.on()  # a pause lit it just as the sample was cut: the sample must not put it out
    before = list(light.history)
    cancel = threading.Event()
    cancel.set()
    run(sessions, "sample", context={}, cancel=cancel)
    light.off()
    run(sessions, "sample", context={})
    assert sessions.player.plays  # it spoke
    assert light.history[:len(before)] == before and len(light.history) == len(before) + 1
    assert mock_pins.pin(18).state == 0.0
    light.close()


class _SlowFirstStartVoice:
    """The real voice's settings, rendering as slowly as a busy Pi: each line costs
    ``seconds`` on the session's fake clock. ``hold`` keeps renders waiting (the
    start-up preparation, still at its first clip)."""

    def __init__(self, voice, clock, seconds: float = 4.0):
        self._voice, self.clock, self.seconds = voice, clock, seconds
        self.hold = threading.Event()
        self.rendering = threading.Event()

    def __getattr__(self, name):
        return getattr(self._voice, name)

    def synthesize(self, text):
        self.rendering.set()
        while self.hold.is_set():
            time.sleep(0.005)
        self.clock.advance(self.seconds)
        rate = self._voice.sample_rate
        words = len(text.split())
        return Clip(np.full(int(rate * words / 2.2), 300, np.int16), rate)

    def unload(self):
        pass


def test_a_first_start_breathes_within_10_s_while_the_voice_is_still_prepared(
        tmp_path, joe_voice, caplog):
    """The real pause script, an empty cache, Piper as slow as on a Pi: the light's first
    breath in still comes within 10 s of the trigger (it took 10.5 s), and the log says the
    voice is being prepared, not to run `pi-pause render`."""
    clock = FakeClock()
    voice = _SlowFirstStartVoice(joe_voice, clock)
    cache = ClipCache(tmp_path / "empty-cache", voice)
    light = Light(None, clock=clock.now, record=True)
    sessions = Sessions(settings_for(tmp_path), MemorySink(clock=clock), light, clock,
                        cache=cache, rotation=Rotation(None, random.Random(0)))
    voice.hold.set()
    stop = threading.Event()
    preparing = threading.Thread(target=sessions.prepare, kwargs={"stop": stop}, daemon=True)
    preparing.start()
    assert voice.rendering.wait(timeout=30)  # the start-up preparation is at its first clip
    cancel = threading.Event()
    pause = threading.Thread(target=run, args=(sessions, "pause"), kwargs={
        "context": {"return_time": dt.datetime(2026, 3, 1, 21, 40)}, "cancel": cancel})
    pause.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(p.target == LOW for p in light.history):
            time.sleep(0.01)
        voice.hold.clear()  # today's code waits for the renders: let them happen
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p.target == LOW for p in light.history):
            time.sleep(0.01)
        first_breath = next(p for p in light.history if p.target == LOW)
        assert first_breath.t0 < 10.0, first_breath.t0
    finally:
        cancel.set()
        stop.set()
        voice.hold.clear()
        pause.join(timeout=30)
        preparing.join(timeout=60)
    assert "the voice is still being prepared (" in caplog.text
    assert "pi-pause render" not in caplog.text


def test_each_line_is_told_as_it_is_said_with_its_time_filled_in(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    said = []
    sessions.on_words = said.append
    run(sessions, "pause")
    variants = test_prompts.scripts["pause"]
    assert said[0] in variants[0].line.variants
    assert said[1] in {v.replace("{return_time}.", "at twenty to ten.") for v in variants[1].line.variants}
    cues = {c for p in test_prompts.patterns["cyclic-sigh"].phases if p.cue for c in p.cue.variants}
    assert set(said[2:6]) <= cues
    assert len(said) == len(sink.plays)  # one line for each clip played, nothing else


def test_a_late_return_says_the_break_ended_during_a_restart(tmp_path, test_prompts, warm_cache):
    sessions, sink, light, clock = fake_session(tmp_path, test_prompts, warm_cache)
    said = []
    sessions.on_words = said.append
    run(sessions, "return", context={"extend_minutes": 10, "late": True})
    run(sessions, "return", context={"extend_minutes": 10})
    late, usual = test_prompts.scripts["return"][1].late, test_prompts.scripts["return"][1].line
    assert said[0] in {v.format(extend_minutes="ten minutes") for v in late.variants}
    assert said[1] in {v.format(extend_minutes="ten minutes") for v in usual.variants}
    # Rendered in advance like every other line (a restart must not render on the spot).
    assert {v.format(extend_minutes="ten minutes") for v in late.variants} <= set(sessions.texts())
