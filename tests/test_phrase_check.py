"""`pi-pause phrase check` tells the couple whether their phrase can be heard."""


def test_the_default_phrase_can_be_heard_and_its_length_is_reported(cli):
    result = cli("phrase", "check", "let's take a pause")
    assert result.returncode == 0, result.stderr
    assert "ok   pocketsphinx: every word can be heard" in result.stdout
    assert "4 words, 4 syllables" in result.stdout
    assert "rarest word: 'pause'" in result.stdout


def test_any_phrase_is_heard_at_once_through_the_two_stage_spotter(cli):
    result = cli("phrase", "check", "time for a break")
    assert result.returncode == 0, result.stderr
    assert ("ok   two-stage: proposed by pocketsphinx keyword spotting (text-defined: any phrase in its "
            "dictionary); confirmed by Whisper tiny.en from the phrase's text (no training needed)") in result.stdout
    assert "listens with: two-stage (engine auto: the Whisper verifier's model is installed and intact)" in result.stdout


def test_a_word_outside_the_vocabulary_fails_with_a_suggestion(cli):
    result = cli("phrase", "check", "pauze", "now")
    assert result.returncode == 1
    assert "FAIL pocketsphinx: phrase word 'pauze'" in result.stdout
    assert "try 'pause'" in result.stdout
    assert "syllables" not in result.stdout  # no length figures for a phrase that cannot be heard


def test_a_short_phrase_is_warned_about(cli):
    result = cli("phrase", "check", "pause")
    assert "only 1 syllable" in result.stdout
