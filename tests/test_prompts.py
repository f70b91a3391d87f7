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
    all_lines += [s.late for steps in REAL.scripts.values() for s in steps
                  if isinstance(s, Say) and s.late]
    all_lines += [p.cue for pat in REAL.patterns.values() for p in pat.phases if p.cue]
    assert len(all_lines) > 20
    for line in all_lines:
        assert len(set(line.variants)) >= 5, line.id


def order(kind):
    return [s.line.id.split(".", 1)[1] if isinstance(s, Say) else type(s).__name__.lower()
            for s in REAL.scripts[kind]]


def test_pause_says_the_return_time_first_and_again_as_the_two_separate():
    said = lines("pause")
    assert all("{return_time}" in v for v in said["return-time"])
    assert order("pause")[0] == "return-time"
    assert sum("{break_minutes}" in v or "{return_time}" in v for v in said["spaces"]) == 5


def test_pause_breathes_first_then_feeling_need_soothing_and_separate_places_last():
    steps = order("pause")
    assert steps[:3] == ["return-time", "breathing-intro", "breathe"]
    assert steps.index("breathe") < steps.index("anchor") < steps.index("feeling") \
        < steps.index("need") < steps.index("soothing") < steps.index("spaces")
    assert steps[-1] == "spaces"


def test_pause_offers_an_anchor_other_than_the_breath_and_a_dizziness_line():
    for variant in lines("pause")["anchor"]:
        assert "dizzy" in variant
        assert any(w in variant for w in ("feet", "sounds", "chair", "body"))


def test_return_script_chimes_and_offers_more_time_and_declining():
    steps = REAL.scripts["return"]
    assert isinstance(steps[0], prompts.Chime)
    said = lines("return")
    assert all("{extend_minutes}" in v for v in said["more-time"])
    assert all("button" in v for v in said["more-time"])
    for words in (("feel", "felt"), ("need",), ("ask", "request"), ("listen",)):
        assert sum(any(w in v for w in words) for v in said["reconnect"]) >= 3, words


def test_more_time_is_confirmed_with_the_extra_minutes_and_the_new_time():
    for variant in lines("extend")["confirm"]:
        assert "{extend_minutes}" in variant and variant.endswith("{return_time}.")


def test_an_early_press_hears_the_time_left_and_that_holding_the_button_ends_the_break():
    said = lines("remaining")
    assert all("{remaining}" in v for v in said["remaining"])
    assert all("hold" in v.lower() or "long press" in v.lower() for v in said["how-to-end"])


def test_checkin_covers_outside_stress_appreciation_and_a_need_for_tomorrow():
    said = lines("checkin")
    assert {"outside-stress", "appreciation", "need-tomorrow"} <= set(said)
    assert all("tomorrow" in v for v in said["need-tomorrow"])
    assert all("outside" in v or "work" in v or "today" in v for v in said["outside-stress"])


def test_checkin_gives_each_partner_a_turn_after_every_question():
    steps = order("checkin")
    for part in ("outside-stress", "appreciation", "need-tomorrow"):
        assert steps[steps.index(part) + 1] == "turns"


def test_checkin_questions_are_a_bank_of_thirty_that_do_not_return_within_a_week():
    banks = [s for s in REAL.scripts["checkin"] if isinstance(s, Say) and s.no_repeat_days]
    assert [s.line.id for s in banks] == [
        "checkin.outside-stress", "checkin.appreciation", "checkin.need-tomorrow"]
    assert all(s.no_repeat_days == 7 and len(set(s.line.variants)) >= 8 for s in banks)
    assert sum(len(set(s.line.variants)) for s in banks) >= 30


def all_spoken():
    spoken = [v for steps in REAL.scripts.values() for s in steps if hasattr(s, "line")
              for v in s.line.variants]
    spoken += [v for steps in REAL.scripts.values() for s in steps if hasattr(s, "handover")
               for v in s.handover.variants]
    return spoken + [v for pat in REAL.patterns.values() for p in pat.phases if p.cue
                     for v in p.cue.variants]


def test_scripts_speak_to_both_and_never_promise_safety_or_blame():
    for v in all_spoken():
        low = v.lower()
        assert "you're safe" not in low and "you are safe" not in low
        assert "your fault" not in low and "you always" not in low and "you never" not in low
        assert "should" not in low, v


def test_the_voice_is_a_guide_never_one_of_us_and_never_grades():
    import re

    for v in all_spoken():
        words = set(re.findall(r"[a-z']+", v.lower()))
        assert not words & {"us", "we", "we'll", "we're", "our", "ours", "let's"}, v
        for praise in ("well done", "good job", "great job", "nicely done", "perfect",
                       "good work", "you did well"):
            assert praise not in v.lower(), v


def test_no_word_the_voice_was_heard_to_mispronounce():
    # Whisper heard Piper's "gently" as "generally", "light-headed" as "like headed",
    # "use I words" as "use our words" and "Pause here." as "boss here".
    for v in all_spoken():
        low = v.lower()
        for word in ("gentl", "light-headed", "i words", "pause here"):
            assert word not in low, v


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


def test_cyclic_sigh_is_two_seconds_in_one_more_and_a_breath_out_twice_as_long():
    phases = REAL.patterns["cyclic-sigh"].phases
    assert [(p.breath, p.seconds) for p in phases] == [("in", 2.0), ("in", 1.0), ("out", 6.0)]
    inhale = sum(p.seconds for p in phases if p.breath == "in")
    exhale = sum(p.seconds for p in phases if p.breath == "out")
    assert 1.8 <= exhale / inhale <= 2.2


@pytest.mark.parametrize("name", breathing.NAMED_IN_CONFIG)
@pytest.mark.parametrize("holds", [False, True])
@pytest.mark.parametrize("minutes", [1, 2, 3])
def test_guided_breathing_lasts_the_configured_minutes(name, holds, minutes):
    pattern = REAL.patterns[name]
    cycles = breathing.cycles_for(pattern, minutes, holds)
    total = breathing.timeline(pattern, cycles, holds=holds)[-1].end
    assert abs(total - minutes * 60) <= pattern.cycle_seconds(holds) / 2


@pytest.mark.parametrize("name", breathing.NAMED_IN_CONFIG)
def test_the_voice_guides_every_phase_of_every_cycle(name):
    phases = breathing.timeline(REAL.patterns[name], cycles=12, holds=True)
    assert all(p.cue is not None for p in phases)


ACTIONS = {"in": ("in", "breathe", "more", "top", "and", "one", "fill", "again"),
           "out": ("out", "breathe", "and"), "hold": ("hold",)}


@pytest.mark.parametrize("name", breathing.NAMED_IN_CONFIG)
def test_every_breathing_cue_starts_with_its_action(name):
    for phase in REAL.patterns[name].phases:
        for cue in phase.cue.variants:
            first = cue.split()[0].strip(",.").lower()
            assert first in ACTIONS[phase.breath], (name, cue)
            # "and more" / "and out": the action is the second word, said within half a second
            if first == "and":
                assert cue.split()[1].strip(",.").lower() in ("more", "out"), cue


def test_box_holds_are_only_there_when_asked_for():
    without = breathing.timeline(REAL.patterns["box"], 4, holds=False)
    with_holds = breathing.timeline(REAL.patterns["box"], 4, holds=True)
    assert {p.breath for p in without} == {"in", "out"}
    assert [p.breath for p in with_holds[:4]] == ["in", "hold", "out", "hold"]


def test_light_rises_over_a_whole_sigh_and_falls_over_the_breath_out():
    phases = breathing.timeline(REAL.patterns["cyclic-sigh"], cycles=1)
    assert [round(p.level, 3) for p in phases] == [
        round(breathing.LOW + (1 - breathing.LOW) * 2.0 / 3.0, 3), 1.0, breathing.LOW]


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
    edit(folder / "pause.toml", '    "A pause, then. Back {return_time}.",\n', "")
    edit(folder / "pause.toml", '    "Time to pause. Back together {return_time}.",\n', "")
    with pytest.raises(PromptError) as info:
        prompts.load(folder)
    assert str(info.value).startswith(f"{folder}/pause.toml: step 1 (say 'return-time'): "
                                      "field 'variants' has 3 different lines")


def test_unknown_placeholder_is_named(folder):
    edit(folder / "return.toml", "{extend_minutes} more.\",", "{extra} more.\",")
    with pytest.raises(PromptError, match=r"return\.toml: step 4 \(say 'more-time'\): field "
                                          r"'variants' uses unknown placeholder \{extra\}"):
        prompts.load(folder)


def test_unknown_field_is_named(folder):
    edit(folder / "checkin.toml", "after = 0.5", "afterwards = 0.5")
    with pytest.raises(PromptError, match=r"checkin\.toml: step 3 \(say 'outside-stress'\): "
                                          r"field 'afterwards' is not known here"):
        prompts.load(folder)


def test_step_with_two_kinds_is_refused(folder):
    edit(folder / "pause.toml", "silence = 1.5", "silence = 1.5\nchime = true")
    with pytest.raises(PromptError, match=r"pause\.toml: step 6: field 'say' or breathe, silence, "
                                          r"chime, turns: exactly one is needed per step, found "
                                          r"silence, chime"):
        prompts.load(folder)


def test_unknown_breathing_pattern_is_named(folder):
    edit(folder / "pause.toml", '\nbreathe = "configured"', '\nbreathe = "4-7-8"')
    with pytest.raises(PromptError, match=r"pause\.toml: step 3: field 'breathe' is '4-7-8'"):
        prompts.load(folder)


def test_bad_phase_length_is_named(folder):
    edit(folder / "breathing.toml", "seconds = 5.5", "seconds = 0")
    with pytest.raises(PromptError, match=r"breathing\.toml: pattern 'resonance' phase 2: "
                                          r"field 'seconds' is 0; use a number from 0.5 to 30"):
        prompts.load(folder)


def test_return_time_in_the_middle_of_a_line_is_refused(folder):
    edit(folder / "pause.toml", "Time to pause. Back together {return_time}.",
         "Time to pause. Back {return_time} again.")
    with pytest.raises(PromptError, match="mid-sentence"):
        prompts.load(folder)


def test_time_left_in_the_middle_of_a_line_is_refused(folder):
    edit(folder / "remaining.toml", "Time left on the break: {remaining}.",
         "Still {remaining} on the break.")
    with pytest.raises(PromptError, match=r"remaining\.toml: step 1 \(say 'remaining'\): .*"
                                          r"puts \{remaining\} mid-sentence"):
        prompts.load(folder)


def test_a_question_bank_smaller_than_its_week_is_refused(folder):
    edit(folder / "checkin.toml", "\nno_repeat_days = 7", "\nno_repeat_days = 30")
    with pytest.raises(PromptError, match=r"checkin\.toml: step 3 \(say 'outside-stress'\): field "
                                          r"'variants' has 12 different lines; with "
                                          r"no_repeat_days = 30 write at least 31"):
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
        f"pi-pause: {folder}/pause.toml: step 10 (say 'spaces'): field 'colour' is not known here; "
        "allowed fields: after, late_variants, no_repeat_days, say, variants"]


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
    assert [(s.pattern, s.cycles) for s in REAL.scripts["pause"] if isinstance(s, Breathe)] == [
        ("configured", 2), ("configured", None)]


def test_no_question_returns_within_a_week_across_sixty_nights_and_restarts(tmp_path):
    import datetime as dt

    bank = Line("checkin.outside-stress", tuple(f"question {i}" for i in range(12)))
    path, night, heard = tmp_path / "rotation.json", dt.date(2026, 1, 1), {}
    for n in range(60):
        today = night + dt.timedelta(days=n)
        rotation = Rotation(path, random.Random(n))  # a fresh start every night
        question = rotation.pick(bank, today=today, days=7)
        rotation.save()
        if question in heard:
            assert (today - heard[question]).days >= 7, (question, today)
        heard[question] = today
    assert len(heard) == 12  # the whole bank gets its turn


def test_the_return_after_a_restart_has_words_of_its_own():
    """The controller marks a return whose time passed while the service was down
    (late=True); the invitation then says so, in words from return.toml."""
    invite = next(s for s in REAL.scripts["return"] if isinstance(s, Say) and s.line.id == "return.invite")
    assert invite.late is not None and len(set(invite.late.variants)) >= 5
    assert all("restart" in v or "starting up again" in v for v in invite.late.variants)
    assert invite.for_context({"late": True}) is invite.late
    assert invite.for_context({}) is invite.line


def test_the_enrollment_cue_says_when_to_speak_then_chimes_and_is_rendered_with_the_rest():
    assert order("enroll") == ["cue", "chime"]
    assert all("phrase" in v and "tone" in v for v in lines("enroll")["cue"])
    assert not any("partner" in v.lower() for v in lines("enroll")["cue"])
    assert "enroll" in prompts.KINDS  # what the clip cache renders at start and in `pi-pause render`
