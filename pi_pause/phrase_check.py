"""``pi-pause phrase check TEXT``: help the couple choose a phrase that works.

For each engine it says whether every word can be heard (is in the engine's
vocabulary), then how long the phrase is and how common its words are in
ordinary English, taken from the unigram frequencies of PocketSphinx's bundled
language model. Longer phrases made of less common words are matched by
everyday speech far less often.
"""

from __future__ import annotations

from pi_pause import config, pronounce, spotter
from pi_pause.errors import UserError

# Unigram log10 probability above which a word counts as very common ("the", "take").
COMMON_LOG10 = -3.0


def check_command(args, settings: config.Settings) -> int:
    phrase = " ".join(" ".join(args.text).lower().split())
    if not phrase:
        raise UserError("the phrase is empty; e.g. pi-pause phrase check \"let's take a pause\"")
    findings = spotter.check_phrase(settings, phrase)
    for f in findings:
        status = "ok  " if f.ok else "FAIL"
        print(f"{status} {f.engine}: {f.message or 'every word can be heard'}")
    lexicon = pronounce.lexicon()
    words = phrase.split()
    if all(w in lexicon for w in words):
        print(f"length: {len(words)} words, {pronounce.syllables(phrase, lexicon)} syllables "
              "(four or more syllables false-trigger far less)")
        common = [w for w in words if pronounce.log10_frequency(w) > COMMON_LOG10]
        rarest = min(words, key=pronounce.log10_frequency)
        print(f"common words: {', '.join(common) or 'none'}; rarest word: {rarest!r} "
              f"(about 1 in {10 ** -pronounce.log10_frequency(rarest):,.0f} words of everyday "
              "English)")
    usable = [f.engine for f in findings if f.ok]
    return 0 if spotter.chosen_engine(settings) in usable else 1
