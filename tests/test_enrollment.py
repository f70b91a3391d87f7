"""Enrollment: takes judged by the real Whisper verifier, numbers kept in private files, used by detect.

The takes are Piper's voice saying the phrase at five paces and gains, rendered once
for the module; the files are WAVs in any rate and channel count, as a recording
app would leave them.
"""

from __future__ import annotations

import json
import stat

import numpy as np
import pytest

from pi_pause import config, wav
from pi_pause.ear import enrollment, spotter, voiceprint
from tests import speech

PHRASE = speech.PHRASE
PACES = (0.9, 1.0, 1.1, 1.2, 1.3)


def take(pace: float = 1.0, gain: float = 0.5) -> np.ndarray:
    """The phrase with a little quiet around it, as a person records it."""
    return np.concatenate([speech.silence(0.4), speech.english(PHRASE, pace) * gain, speech.silence(0.6)])


@pytest.fixture(scope="module")
def judge():
    return enrollment.open_judge(config.Settings())


@pytest.fixture(scope="module")
def take_files(tmp_path_factory) -> list:
    """Five good takes; the first at 44.1 kHz stereo, the rest at 16 kHz mono."""
    folder = tmp_path_factory.mktemp("takes")
    files = []
    for i, pace in enumerate(PACES):
        path = folder / f"take{i + 1}.wav"
        audio = take(pace, 0.4 + 0.1 * i)
        if i == 0:
            stereo = np.repeat(wav.resample(audio, 16_000, 44_100)[:, None], 2, axis=1)
            _write_stereo(path, stereo, 44_100)
        else:
            wav.write(path, audio)
        files.append(path)
    return files


def _write_stereo(path, samples: np.ndarray, rate: int) -> None:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(wav.to_int16(samples).astype("<i2").tobytes())


def settings_in(tmp_path, phrase: str = PHRASE, cache=None) -> tuple[config.Settings, str]:
    text = (f'[paths]\nstate_dir = "{tmp_path / "state"}"\ncache_dir = "{cache or tmp_path / "cache"}"\n'
            f'socket = "{tmp_path / "control.sock"}"\n[listen]\nphrases = ["{phrase}"]\n')
    (tmp_path / "config.toml").write_text(text)
    return config.parse(text), str(tmp_path / "config.toml")


# -- the judge ----------------------------------------------------------------------

def test_a_good_take_is_accepted_and_trimmed_to_its_speech(judge):
    audio = np.concatenate([speech.silence(1.5), take(), speech.silence(2.0)])  # a 4 s microphone take
    verdict = enrollment.judge_take(audio, (PHRASE,), judge)
    assert verdict.ok, verdict.reason
    assert verdict.phrase == PHRASE
    assert verdict.plain == "Got it: that was a good take."
    assert len(verdict.audio) / 16_000 < len(speech.english(PHRASE)) / 16_000 + 0.5  # the quiet is gone


def test_quiet_clipped_and_wrong_phrase_takes_are_refused_with_their_reasons(judge):
    phrase = speech.english(PHRASE)
    quiet = enrollment.judge_take(phrase * 0.004, (PHRASE,), judge)
    assert not quiet.ok and quiet.reason.startswith("too quiet") and "closer" in quiet.reason
    assert quiet.plain == "That was too quiet: say it again a little closer."
    clipped = enrollment.judge_take(np.clip(phrase * 8, -1, 1), (PHRASE,), judge)
    assert not clipped.ok and clipped.reason.startswith("clipped") and "further" in clipped.plain
    near_miss = enrollment.judge_take(speech.english("let's take a bus"), (PHRASE,), judge)
    assert not near_miss.ok and "did not hear" in near_miss.reason
    assert near_miss.plain == "It did not hear your phrase in that: say it again, clearly."
    short = enrollment.judge_take(phrase[:3000], (PHRASE,), judge)
    assert not short.ok and "too short" in short.reason
    for verdict in (quiet, clipped, near_miss, short):
        assert "\n" not in verdict.reason and verdict.audio is None


def test_with_two_phrases_a_take_counts_for_the_one_it_says(judge):
    verdict = enrollment.judge_take(speech.english("time out please"), (PHRASE, "time out please"), judge)
    assert verdict.ok and verdict.phrase == "time out please"


# -- the store ----------------------------------------------------------------------

def test_names_are_letters_and_nobody_is_called_a_partner_number(tmp_path):
    assert enrollment.check_name("  Mary   Ann ") == "Mary Ann"
    assert enrollment.check_name("Zoë O'Neil-Smith") == "Zoë O'Neil-Smith"
    for bad in ("partner 1", "", "   ", "a" * 21, "Sam; rm", "--"):
        with pytest.raises(enrollment.EnrollmentError, match="1-20 letters"):
            enrollment.check_name(bad)


def test_a_third_person_is_refused_with_the_fix_and_a_name_is_replaced_not_doubled(tmp_path):
    settings, _ = settings_in(tmp_path)
    numbers = {"templates": np.zeros((2, 1536), np.float16)}
    enrollment.save(settings, "Sam", numbers, takes=5, phrase=PHRASE)
    enrollment.save(settings, "Alex", numbers, takes=5, phrase=PHRASE)
    enrollment.save(settings, "ALEX", numbers, takes=4, phrase=PHRASE)  # the same person again
    assert sorted((p.name, p.takes) for p in enrollment.load(settings).people) == [("ALEX", 4), ("Sam", 5)]
    with pytest.raises(enrollment.EnrollmentError, match="two voices at most; forget one first: "
                                                         "pi-pause phrase forget --speaker"):
        enrollment.save(settings, "Kim", numbers, takes=5, phrase=PHRASE)


def test_another_phrase_or_an_older_format_is_reported_not_used(tmp_path):
    settings, _ = settings_in(tmp_path)
    numbers = {"templates": np.zeros((2, 1536), np.float16)}
    enrollment.save(settings, "Sam", numbers, takes=5, phrase="time out please")
    enrolled = enrollment.load(settings)
    assert enrolled.people == () and [p.name for p in enrolled.other_phrase] == ["Sam"]
    assert "enrolled for another phrase: Sam (enroll again)" in enrolled.summary()
    assert enrollment.load(settings, ("Time out, please!",)).people[0].name == "Sam"
    path = enrolled.other_phrase[0].path
    with np.load(path) as data:
        arrays = dict(data)
    arrays["meta_format"] = np.array(voiceprint.FORMAT - 1)
    np.savez(path, **arrays)
    assert "made by an older version: Sam" in enrollment.load(settings).summary()
    path.write_bytes(b"not a zip")
    assert "unreadable: sam.npz" in enrollment.load(settings).summary()
    assert enrollment.forget(settings) == [] and not path.exists()


# -- the command line ------------------------------------------------------------------

def test_enroll_from_files_keeps_only_numbers_in_a_private_file_and_detect_uses_them(
        cli, tmp_path, take_files, enrollment_cache):
    settings, conf = settings_in(tmp_path, cache=enrollment_cache)
    quiet = tmp_path / "quiet.wav"
    wav.write(quiet, take() * 0.004)
    result = cli("--config", conf, "phrase", "enroll", "--speaker", "Sam", str(quiet), *map(str, take_files))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL quiet.wav: too quiet")
    assert sum(line.startswith("ok   take") for line in lines) == 5
    assert "enrolled Sam for \"let's take a pause\" (5 takes)" in result.stdout
    assert "the service is not running; it will listen for these voices when it starts" in result.stdout

    folder = tmp_path / "state" / "enrolled"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (kept,) = folder.iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    raw = kept.read_bytes()
    assert b"pause" not in raw and "pause".encode("utf-32-le") not in raw  # no phrase text, in any form
    with np.load(kept, allow_pickle=False) as data:
        assert str(data["meta_name"]) == "Sam" and int(data["meta_takes"]) == 5
        assert all(max(data[k].shape, default=0) < 4000 for k in data.files)  # no run of samples

    check = cli("--config", conf, "phrase", "check", "--json", PHRASE)
    assert json.loads(check.stdout)["voices"] == "enrolled voices: Sam (5 takes)"
    doctor = cli("--config", conf, "doctor")
    assert "info  voices: enrolled voices: Sam (5 takes)" in doctor.stdout

    with spotter.open_spotter(settings) as s:
        decision = s._engine.checks.verifier
        assert len(decision.opinions) == 1 and isinstance(decision.opinions[0], voiceprint.EnrolledOpinion)
    recording = tmp_path / "argument.wav"
    wav.write(recording, speech.join(speech.english("the weather is nice today"), speech.english(PHRASE)))
    detect = cli("--config", conf, "detect", str(recording), "--json")
    assert [json.loads(line)["phrase"] for line in detect.stdout.splitlines()] == [PHRASE]

    forget = cli("--config", conf, "phrase", "forget", "--speaker", "sam")
    assert forget.stdout.startswith("forgot Sam: their numbers are deleted")
    assert not any(folder.iterdir())
    assert "enrolled voices: none" in cli("--config", conf, "phrase", "check", PHRASE).stdout


def test_too_few_good_takes_and_bad_arguments_are_one_line_errors(cli, tmp_path, take_files):
    _, conf = settings_in(tmp_path)
    few = cli("--config", conf, "phrase", "enroll", "--speaker", "Sam", *map(str, take_files[:2]))
    assert few.returncode == 1
    assert few.stdout.splitlines()[-1] == ("FAIL 2 good take(s) of the 5 needed; record more of Sam "
                                           "saying the phrase and run this again with all the good ones")
    assert not (tmp_path / "state" / "enrolled").exists() or not any((tmp_path / "state" / "enrolled").iterdir())
    low = cli("--config", conf, "phrase", "enroll", "--speaker", "Sam", "--takes", "2", str(take_files[0]))
    assert low.returncode == 2 and "at least 3" in low.stderr and len(low.stderr.splitlines()) == 1
    partner = cli("--config", conf, "phrase", "enroll", "--speaker", "partner 1", str(take_files[0]))
    assert partner.returncode == 2 and "1-20 letters" in partner.stderr
    no_service = cli("--config", conf, "phrase", "enroll", "--speaker", "Sam")
    assert no_service.returncode == 1
    assert "start it" in no_service.stdout and "or pass recordings" in no_service.stdout
