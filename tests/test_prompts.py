"""Prompt files: the real scripts follow the domain rules; mistakes are clear errors;
variants rotate without repeats, across restarts too."""

import random
import shutil

import pytest

from pi_pause import config
from pi_pause.voice import breathing, prompts
from pi_pause.voice.prompts import Breathe, Line, PromptError, Say
from pi_pause.voice.rotation import Rotation

REAL = prompts.load()


def lines(kind):
    return {s.line.id.split(".", 1)[1]: s.line.variants for s in REAL.scripts[kind]
            if isinstance(s, Say)}


def test_every_spoken_line_has_at_least_five_different_variants():
    all_lines = [s.line for steps in REAL.scripts.values() for s in steps if isinstance(s, Say)]
    all_lines += [p.cue for pat in REAL.patterns.values() for p in pat.phases if p.cue]
    assert len(all_lines) > 20
    for line in all_lines:
        assert len(set(line.variants)) >= 5, line.id


def test_pause_says_the_break_and_the_return_time_in_every_variant():
    said = lines("pause")["return-time"]
    assert all("{return_time}" in v for v in said)
    assert sum("{break_minutes}" in v for v in said) >= 3


def test_pause_offers_an_anchor_other_than_the_breath_and_a_dizziness_line():
    for variant in lines("pause")["anchor"]:
        assert "dizzy" in variant or "light-headed" in variant
        assert any(w in variant for w in ("feet", "sounds", "chair", "body"))


def test_pause_guides_breathing_then_self_empathy_feeling_before_need():
    order = [s.line.id if isinstance(s, Say) else type(s).__name__ for s in REAL.scripts["pause"]]
    assert order.index("Breathe") < order.index("pause.feeling") < order.index("pause.need")


def test_return_script_chimes_and_offers_more_time_and_declining():
    steps = REAL.scripts["return"]
    assert isinstance(steps[0], prompts.Chime)
    said = lines("return")
    assert all("{extend_minutes}" in v for v in said["more-time"])
    assert all("button" in v for v in said["more-time"])
    for words in (("feel", "felt"), ("need",), ("ask", "request"), ("listen",)):
        assert sum(any(w in v for w in words) for v in said["reconnect"]) >= 3, words


def test_checkin_covers_outside_stress_appreciation_and_a_need_for_tomorrow():
    said = lines("checkin")
    assert {"outside-stress", "appreciation", "need-tomorrow"} <= set(said)
    assert all("tomorrow" in v for v in said["need-tomorrow"])


def test_scripts_speak_to_both_and_never_promise_safety_or_blame():
    spoken = [v for steps in REAL.scripts.values() for s in steps if isinstance(s, Say)
              for v in s.line.variants]
    for v in spoken:
        low = v.lower()
        assert "you're safe" not in low and "you are safe" not in low
        assert "your fault" not in low and "you always" not in low and "you never" not in low


def test_every_configurable_breathing_pattern_exists():
    allowed = config.PauseSettings.__dataclass_fields__["breathing"].metadata["check"]
    for name in breathing.NAMED_IN_CONFIG:
        assert allowed(name) and name in REAL.patterns


def test_resonance_breathing_is_about_six_breaths_a_minute():
    pattern = REAL.patterns["resonance"]
    per_minute = 60 / pattern.cycle_seconds()
    assert 5.5 <= per_minute <= 6.5
    out = sum(p.seconds for p in pattern.phases if p.breath == "out")
    assert out > sum(p.seconds for p in pattern.phases if p.breath == "in")


def test_cyclic_sigh_exhale_is_about_twice_the_inhale():
    phases = REAL.patterns["cyclic-sigh"].phases
    inhale = sum(p.seconds for p in phases if p.breath == "in")
    exhale = sum(p.seconds for p in phases if p.breath == "out")
    assert [p.breath for p in phases] == ["in", "in", "out"]
    assert 1.4 <= exhale / inhale <= 2.5
    assert REAL.patterns["cyclic-sigh"].cycles == 3


@pytest.mark.parametrize("name", breathing.NAMED_IN_CONFIG)
@pytest.mark.parametrize("holds", [False, True])
def test_guided_breathing_fits_a_one_to_three_minute_pause(name, holds):
    total = breathing.timeline(REAL.patterns[name], holds=holds)[-1].end
    assert 25 <= total <= 90


def test_box_holds_are_only_there_when_asked_for():
    without = breathing.timeline(REAL.patterns["box"], holds=False)
    with_holds = breathing.timeline(REAL.patterns["box"], holds=True)
    assert {p.breath for p in without} == {"in", "out"}
    assert [p.breath for p in with_holds[:4]] == ["in", "hold", "out", "hold"]


def test_light_rises_over_a_whole_sigh_and_falls_over_the_breath_out():
    phases = breathing.timeline(REAL.patterns["cyclic-sigh"], cycles=1)
    assert [round(p.level, 3) for p in phases] == [
        round(breathing.LOW + (1 - breathing.LOW) * 2.5 / 4.0, 3), 1.0, breathing.LOW]


# -- mistakes in prompt files ------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "prompts"
    shutil.copytree(prompts.PROMPTS_DIR, target)
    return target


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_too_few_variants_names_file_step_and_field(folder):
    edit(folder / "pause.toml", '    "Alright. Let\'s both stop here for a while.",\n', "")
    edit(folder / "pause.toml", '    "Pause. We can set this down for now.",\n', "")
    with pytest.raises(PromptError) as info:
        prompts.load(folder)
    assert str(info.value).startswith(f"{folder}/pause.toml: step 1 (say 'acknowledge'): "
                                      "field 'variants' has 3 different lines")


def test_unknown_placeholder_is_named(folder):
    edit(folder / "return.toml", "{extend_minutes} more.\",", "{extra} more.\",")
    with pytest.raises(PromptError, match=r"return\.toml: step 4 \(say 'more-time'\): field "
                                          r"'variants' uses unknown placeholder \{extra\}"):
        prompts.load(folder)


def test_unknown_field_is_named(folder):
    edit(folder / "checkin.toml", "after = 45.0", "afterwards = 45.0")
    with pytest.raises(PromptError, match=r"checkin\.toml: step 3 \(say 'outside-stress'\): "
                                          r"field 'afterwards' is not known here"):
        prompts.load(folder)


def test_step_with_two_kinds_is_refused(folder):
    edit(folder / "pause.toml", "silence = 2.0", "silence = 2.0\nchime = true")
    with pytest.raises(PromptError, match=r"pause\.toml: step 7: field 'say' or breathe, silence, "
                                          r"chime: exactly one is needed per step, found silence, chime"):
        prompts.load(folder)


def test_unknown_breathing_pattern_is_named(folder):
    edit(folder / "pause.toml", '\nbreathe = "configured"', '\nbreathe = "4-7-8"')
    with pytest.raises(PromptError, match=r"pause\.toml: step 6: field 'breathe' is '4-7-8'"):
        prompts.load(folder)


def test_bad_phase_length_is_named(folder):
    edit(folder / "breathing.toml", "seconds = 5.5", "seconds = 0")
    with pytest.raises(PromptError, match=r"breathing\.toml: pattern 'resonance' phase 2: "
                                          r"field 'seconds' is 0; use a number from 0.5 to 30"):
        prompts.load(folder)


def test_return_time_in_the_middle_of_a_line_is_refused(folder):
    edit(folder / "pause.toml", "come back together {return_time}.", "come back {return_time} again.")
    with pytest.raises(PromptError, match="mid-sentence"):
        prompts.load(folder)


def test_broken_toml_and_missing_files_are_named(folder):
    (folder / "checkin.toml").write_text("[[step]\nsay = ")
    with pytest.raises(PromptError, match=r"checkin\.toml: not valid TOML"):
        prompts.load(folder)
    shutil.copy(prompts.PROMPTS_DIR / "checkin.toml", folder / "checkin.toml")
    (folder / "time.toml").unlink()
    with pytest.raises(PromptError, match=r"time\.toml: prompt file missing"):
        prompts.load(folder)


def test_bad_prompt_folder_is_a_one_line_cli_error(cli, folder, tmp_path):
    edit(folder / "pause.toml", 'say = "spaces"', 'say = "spaces"\ncolour = "blue"')
    result = cli("preview", "pause", "--prompts", str(folder), "--out", str(tmp_path / "p.wav"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pi-pause: {folder}/pause.toml: step 3 (say 'spaces'): field 'colour' is not known here; "
        "allowed fields: after, say, variants"]


# -- rotation ------------------------------------------------------------------------

LINE = Line("pause.test", ("a", "b", "c", "d", "e"))


def test_variants_never_repeat_back_to_back_and_all_come_before_any_repeat():
    rotation = Rotation(None, random.Random(1))
    picks = [rotation.pick(LINE) for _ in range(200)]
    assert all(x != y for x, y in zip(picks, picks[1:]))
    for start in range(0, 200, 5):
        assert sorted(picks[start:start + 5]) == list(LINE.variants)


def test_rotation_remembers_the_last_words_across_a_restart(tmp_path):
    path = tmp_path / "state" / "rotation.json"
    for seed in range(30):
        first = Rotation(path, random.Random(seed))
        said = [first.pick(LINE) for _ in range(5 if seed % 2 else 3)]
        first.save()
        again = Rotation(path, random.Random(seed + 100))
        assert again.pick(LINE) != said[-1]


def test_damaged_rotation_state_starts_afresh(tmp_path):
    path = tmp_path / "rotation.json"
    path.write_text("{not json")
    rotation = Rotation(path, random.Random(0))
    assert rotation.pick(LINE) in LINE.variants
    rotation.save()
    assert Rotation(path).pick(LINE) in LINE.variants


def test_changed_variants_reset_that_lines_deck(tmp_path):
    path = tmp_path / "rotation.json"
    first = Rotation(path, random.Random(0))
    last = first.pick(LINE)
    first.save()
    longer = Line(LINE.id, LINE.variants + ("f", "g"))
    rotation = Rotation(path, random.Random(0))
    picks = [rotation.pick(longer) for _ in range(7)]
    assert picks[0] != last and sorted(picks) == sorted(longer.variants)


def test_real_breathe_steps_use_the_configured_pattern():
    assert [s.pattern for s in REAL.scripts["pause"] if isinstance(s, Breathe)] == ["configured"]
