"""`pi-pause render` and `pi-pause preview`, run as a user would."""

import re
import shutil

import pytest
from tests.voice_support import TEST_PROMPTS

from pi_pause import wav


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    cfg = tmp / "config.toml"
    cfg.write_text(f'[paths]\ncache_dir = "{tmp}/cache"\nstate_dir = "{tmp}/state"\n')
    return cfg


def test_preview_pause_breathes_within_ten_seconds_for_two_minutes_with_the_led_timeline(
        cli, config_file, tmp_path):
    out = tmp_path / "pause.wav"
    result = cli("--config", str(config_file), "preview", "pause", "--out", str(out))
    assert result.returncode == 0, result.stderr
    seconds = float(re.search(r"the pause script, ([\d.]+) s", result.stdout).group(1))
    assert 150 <= seconds <= 240  # two minutes of breathing, then the feeling and the need
    audio = wav.read(out)
    assert abs(len(audio) / 16000 - seconds) < 0.1
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s*\d+\.\d\s", line)]
    times = [float(r[0]) for r in rows]
    levels = [float(r[1]) for r in rows]
    assert times[0] == 0.0 and levels[0] == 1.0  # full on at the trigger
    assert all(b - a == pytest.approx(0.5) for a, b in zip(times, times[1:-1]))
    assert min(levels) <= 0.15  # breaths out bring it down ...
    assert sum(1 for a, b in zip(levels, levels[1:]) if b > a + 0.05) >= 6  # ... breaths in up
    # The first breath in (the light drops to the bottom, then grows) within 10 s of the trigger.
    first_breath = next(t for t, level in zip(times, levels) if level < 0.5)
    assert first_breath <= 10.0

    # the preview does not advance the couple's rotation
    assert not (config_file.parent / "state" / "rotation.json").exists()


def test_preview_enroll_is_the_cue_and_the_tone_and_leaves_the_light_alone(cli, config_file, tmp_path):
    out = tmp_path / "enroll.wav"
    result = cli("--config", str(config_file), "preview", "enroll", "--prompts", str(TEST_PROMPTS),
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    seconds = float(re.search(r"the enroll script, ([\d.]+) s", result.stdout).group(1))
    assert 1.0 <= seconds <= 10.0  # a short line, then the chime: the take follows at once
    assert abs(len(wav.read(out)) / 16000 - seconds) < 0.1
    # The light is the controller's while a take is heard: the cue itself never sets it.
    assert not [line for line in result.stdout.splitlines() if re.match(r"\s*\d+\.\d\s", line)]


def test_render_reports_counts_and_a_second_render_has_nothing_to_do(cli, tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(TEST_PROMPTS, folder)
    text = (folder / "pause.toml").read_text()
    start = text.index('[[step]]\nsay = "when"')
    end = text.index("[[step]]\nbreathe")
    (folder / "pause.toml").write_text(text[:start] + text[end:])  # no spoken times: fewer clips
    (folder / "extend.toml").write_text(
        '[[step]]\nsay = "more"\nvariants = ["More.", "Extra.", "Longer.", "Sure.", "Yes."]\n')
    (folder / "remaining.toml").write_text(
        '[[step]]\nsay = "left"\nvariants = ["Wait.", "Not yet.", "Still on.", "Later.", "Soon."]\n')
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\ncache_dir = "{tmp_path}/cache"\nstate_dir = "{tmp_path}/state"\n')
    pattern = r"(\d+) clips: (\d+) rendered, (\d+) already cached, (\d+) damaged and " \
              r"re-rendered, (\d+) stale removed, in [\d.]+ s"

    first = cli("--config", str(cfg), "render", "--prompts", str(folder))
    assert first.returncode == 0, first.stderr
    total, rendered, cached, repaired, pruned = map(int, re.search(pattern, first.stdout).groups())
    # hello, bye, check-in ask/end (5 variants each), return "more" (5, and 5 said after a
    # restart), two cues (5 each), the voice sample (5), more time (5) and time left (5); and
    # the sample in the other packaged voice, heart (5), so the page can play it; and the
    # enrollment cue (5)
    assert (total, rendered, cached) == (65, 65, 0)

    second = cli("--config", str(cfg), "render", "--prompts", str(folder))
    assert second.returncode == 0, second.stderr
    assert re.search(pattern, second.stdout).groups()[:3] == ("65", "0", "65")
    assert "loading Piper" not in second.stderr


def test_preview_into_a_missing_folder_is_a_one_line_error(cli, config_file, tmp_path):
    result = cli("--config", str(config_file), "preview", "return", "--prompts", str(TEST_PROMPTS),
                 "--out", str(tmp_path / "nope" / "r.wav"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pi-pause: {tmp_path}/nope/r.wav: cannot write there (no folder {tmp_path}/nope); "
        "pick a folder that exists"]


def test_every_opening_of_the_real_pause_reaches_the_first_breath_within_ten_seconds(config_file):
    """Not just the variants one preview happened to pick: the longest of each opening line,
    with the longest return time, still leaves the first breath cue under 10 s."""
    from pi_pause import config
    from pi_pause.voice.prompts import Breathe, Say
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import JOIN_SECONDS, Sessions

    sessions = Sessions(config.load(config_file), None, None, rotation=Rotation(None))
    times = sorted((t for t in sessions.texts() if t.startswith("at ")), key=len)[-12:]
    longest_time = max(sessions.cache.get(t).seconds for t in times)
    start = 0.0
    for step in sessions.prompts.scripts["pause"]:
        if isinstance(step, Breathe):
            break
        assert isinstance(step, Say)
        longest = 0.0
        for variant in step.line.variants:
            head, tail = sessions._split(variant)
            seconds = sessions.cache.get(head).seconds if head else 0.0
            if tail:
                seconds += JOIN_SECONDS + longest_time
            longest = max(longest, seconds)
        start += longest + step.after
    assert start < 10.0


def test_the_real_pause_guides_two_minutes_of_sighs_with_the_voice_in_every_breath(config_file):
    """The default pause, on a fake clock: 13 cyclic sighs of 9 s (2 s in, 1 s more, 6 s out),
    the first within 10 s of the trigger, and a cue at the start of every phase."""
    import threading

    from pi_pause import config
    from pi_pause.voice.breathing import LOW
    from pi_pause.voice.light import Light
    from pi_pause.voice.player import MemorySink
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import Sessions
    from pi_pause.voice.session_clock import FakeClock

    clock = FakeClock()
    sink = MemorySink(clock=clock)
    light = Light(None, clock=clock.now, record=True)
    sessions = Sessions(config.load(config_file), sink, light, clock, rotation=Rotation(None))
    sessions.run("pause", cancel=threading.Event(), skip=threading.Event(), context={})
    first = next(f for f in light.history if f.target == LOW and f.seconds == 0)
    assert first.t0 < 10.0
    exhales = [f for f in light.history if abs(f.target - LOW) < 1e-6 and f.seconds > 0]
    assert len(exhales) == 13, exhales
    assert all(f.seconds == pytest.approx(6.0, abs=0.05) for f in exhales), [f.seconds for f in exhales]
    inhales = [f for f in light.history if f.seconds > 0 and f.t0 >= first.t0
               and f.t0 <= exhales[-1].t0 and f.target > LOW + 1e-6]
    assert sorted({round(f.seconds) for f in inhales}) == [1, 2]  # 2 s in, 1 s more
    breathing = exhales[-1].t0 + 6.0 - first.t0
    assert 117 <= breathing <= 135  # 13 x 9 s, and the anchor line after the second sigh
    starts = {round(t, 3) for t, *_ in sink.plays}
    phase_starts = [round(f.t0, 3) for f in light.history if f.seconds > 0
                    and first.t0 <= f.t0 <= exhales[-1].t0 and round(f.seconds, 1) in (2.0, 1.0, 6.0)]
    assert all(t in starts for t in phase_starts)  # the voice speaks as each phase begins


def test_every_cue_of_the_default_breathing_ends_well_inside_its_phase(config_file):
    """A cue longer than its phase would push every later phase late (the test above
    caught "More, a little." overrunning the 1 s top-up)."""
    from pi_pause import config
    from pi_pause.voice.rotation import Rotation
    from pi_pause.voice.session import Sessions

    sessions = Sessions(config.load(config_file), None, None, rotation=Rotation(None))
    for phase in sessions.prompts.patterns["cyclic-sigh"].phases:
        for cue in phase.cue.variants:
            assert sessions.cache.get(cue).seconds <= phase.seconds - 0.1, (cue, phase.seconds)
