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


def test_preview_pause_is_one_to_three_minutes_with_the_led_timeline(cli, config_file, tmp_path):
    out = tmp_path / "pause.wav"
    result = cli("--config", str(config_file), "preview", "pause", "--out", str(out))
    assert result.returncode == 0, result.stderr
    seconds = float(re.search(r"the pause script, ([\d.]+) s", result.stdout).group(1))
    assert 60 <= seconds <= 180  # the guided part of a pause
    audio = wav.read(out)
    assert abs(len(audio) / 16000 - seconds) < 0.1
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s*\d+\.\d\s", line)]
    times = [float(r[0]) for r in rows]
    levels = [float(r[1]) for r in rows]
    assert times[0] == 0.0 and levels[0] == 1.0  # full on at the trigger
    assert all(b - a == pytest.approx(0.5) for a, b in zip(times, times[1:-1]))
    assert min(levels) <= 0.15  # breaths out bring it down ...
    assert sum(1 for a, b in zip(levels, levels[1:]) if b > a + 0.05) >= 6  # ... breaths in up
    # the preview does not advance the couple's rotation
    assert not (config_file.parent / "state" / "rotation.json").exists()


def test_render_reports_counts_and_a_second_render_has_nothing_to_do(cli, tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(TEST_PROMPTS, folder)
    text = (folder / "pause.toml").read_text()
    start = text.index('[[step]]\nsay = "when"')
    end = text.index("[[step]]\nbreathe")
    (folder / "pause.toml").write_text(text[:start] + text[end:])  # no spoken times: fewer clips
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\ncache_dir = "{tmp_path}/cache"\nstate_dir = "{tmp_path}/state"\n')
    pattern = r"(\d+) clips: (\d+) rendered, (\d+) already cached, (\d+) damaged and " \
              r"re-rendered, (\d+) stale removed, in [\d.]+ s"

    first = cli("--config", str(cfg), "render", "--prompts", str(folder))
    assert first.returncode == 0, first.stderr
    total, rendered, cached, repaired, pruned = map(int, re.search(pattern, first.stdout).groups())
    # hello, bye, check-in ask/end (5 variants each), return "more" (5), two cues (5 each),
    # the voice sample (5)
    assert (total, rendered, cached) == (40, 40, 0)

    second = cli("--config", str(cfg), "render", "--prompts", str(folder))
    assert second.returncode == 0, second.stderr
    assert re.search(pattern, second.stdout).groups()[:3] == ("40", "0", "40")
    assert "loading Piper" not in second.stderr


def test_preview_into_a_missing_folder_is_a_one_line_error(cli, config_file, tmp_path):
    result = cli("--config", str(config_file), "preview", "return", "--prompts", str(TEST_PROMPTS),
                 "--out", str(tmp_path / "nope" / "r.wav"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pi-pause: {tmp_path}/nope/r.wav: cannot write there (no folder {tmp_path}/nope); "
        "pick a folder that exists"]
