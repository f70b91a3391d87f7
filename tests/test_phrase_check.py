"""`pi-pause phrase check` tells the couple whether their phrase will be heard, and means it."""

import json


def test_the_default_phrase_can_be_heard_and_its_length_is_reported(cli):
    result = cli("phrase", "check", "let's take a pause")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok   \"let's take a pause\" will be heard, by two-stage: ")
    assert "4 words, 4 syllables" in result.stdout
    assert "rarest word: 'pause'" in result.stdout


def test_any_phrase_is_heard_at_once_and_a_missing_optional_model_is_only_information(cli):
    result = cli("phrase", "check", "time for a break")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("ok   'time for a break' will be heard, by two-stage: proposed by pocketsphinx keyword "
                        "spotting (text-defined: any phrase in its dictionary); confirmed by Whisper tiny.en "
                        "from the phrase's text (no training needed)")
    assert lines[1].startswith("info no trained model for 'time for a break', and none is needed")
    assert not any(line.startswith("FAIL") for line in lines)  # was "FAIL embedding", exit 0
    assert "listens with: two-stage (engine auto: the Whisper verifier's model is installed and intact)" in lines


def test_a_word_outside_the_vocabulary_fails_with_a_suggestion(cli):
    result = cli("phrase", "check", "pauze", "now")
    assert result.returncode == 1
    assert "FAIL phrase word 'pauze'" in result.stdout
    assert "try 'pause'" in result.stdout
    assert "syllables" not in result.stdout  # no length figures for a phrase that cannot be heard


def test_a_short_phrase_is_warned_about_and_still_passes(cli):
    result = cli("phrase", "check", "time out")
    assert result.returncode == 0
    assert "warn phrase 'time out' has only 2 syllable(s)" in result.stdout
    assert "FAIL" not in result.stdout


def test_a_phrase_is_read_the_way_people_type_it(cli):
    result = cli("phrase", "check", "--json", "--each", "Let’s Take A Pause!", "time-out, please")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["ok"] and verdict["phrases"] == ["let's take a pause", "time out please"]
    assert verdict["plain"] == "It will hear this."


def test_what_cannot_be_said_is_refused_in_one_line_naming_it(cli):
    result = cli("phrase", "check", "take 5")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == ("FAIL '5' in the phrase 'take 5' cannot be heard as written; "
                                             "write numbers as words (e.g. 'five')")
