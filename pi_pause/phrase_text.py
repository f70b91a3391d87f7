"""A phrase as people type it, turned into the words the ear listens for.

People write their phrase the way they would write it in a message: "Let's Take A
Pause!", with a phone's curly apostrophe, a comma, a dash. None of that is
said aloud, so none of it should stop the phrase being heard. :func:`normalise`
is the one place that decides what a typed phrase means, for every door it comes
through (``pi-pause phrase check``, ``detect --phrase``, the settings page, the
settings file as the ear reads it)::

    normalise("Let’s Take A Pause!")      # -> "let's take a pause"
    normalise("time-out, please")         # -> "time out please"
    normalise("take 5")                   # PhraseTextError: '5' ... write numbers as words

What it does: lower case; typographic apostrophes become "'"; dashes and slashes
part words; sentence punctuation around words (``. , ! ? ; : " ( )`` and the like)
is dropped. What it refuses, naming the character: digits (a number can be said
several ways: write the words) and signs or symbols that stand for words or
nothing (``&``, ``@``, an emoji). A phrase longer than :data:`MAX_WORDS` words
(or :data:`MAX_LETTERS` letters) is refused too (see there). Letters of any
script are kept: a Vosk model may speak another language.

The ear (``pi_pause.ear.spotter``) runs this first and then asks its engines; the
settings page, which must not load the ear, uses it to tidy what was typed before
asking the ear (in a process of its own) whether it will be heard.
"""

from __future__ import annotations

import unicodedata

from pi_pause.errors import UserError

# The two-stage listener (the default) judges a window of 2.3 s of audio ending at
# the phrase (ear.two_stage.WINDOW_SECONDS). Measured with the bundled voice at three
# paces (benchmarks/phrase_length.py; docs/benchmarks.md, "How long a phrase may be"):
# phrases that took up to about 2.5 s to say were heard, longer ones (almost) never,
# because the verifier no longer sees them whole. Every six-word phrase was heard at
# every pace, up to 1.9 s at the slowest; seven words took 2.6 s at the slowest pace and
# were missed. People talk at about 150 words a minute, so six words take about 2.4 s.
MAX_WORDS = 6
MAX_LETTERS = 60  # six long words; a longer "word" is a typing slip, and messages quote it

APOSTROPHES = "'\u2019\u2018\u02bc\u0060\u00b4\u2032"  # ' ’ ‘ ʼ ` ´ ′: what keyboards and phones type
# Sentence punctuation that may sit around a word; never said, so dropped.
AROUND_WORDS = set(".,!?;:\u2026\"\u201c\u201d\u201e\u00ab\u00bb()[]{}\u00a1\u00bf*_~") | set(APOSTROPHES)
BETWEEN_WORDS = set("/\\|+")  # parts words, like a dash


class PhraseTextError(UserError):
    """A typed phrase that cannot be listened for; ``plain`` says why in a couple's words."""

    def __init__(self, message: str, plain: str) -> None:
        super().__init__(message)
        self.plain = plain


def normalise(text: str) -> str:
    """The words of ``text`` as the ear listens for them (see the module docs)."""
    typed = " ".join(str(text).split())
    if len(typed) > 60:
        typed = typed[:57] + "..."
    text = unicodedata.normalize("NFKC", str(text)).replace("\u0130", "i")  # İ: lower() adds a dot
    for mark in APOSTROPHES:
        text = text.replace(mark, "'")
    text = "".join(" " if unicodedata.category(c) == "Pd" or c in BETWEEN_WORDS else c for c in text)
    words = []
    for token in text.split():
        word = token.strip("".join(AROUND_WORDS)).lower()
        for c in word:
            if not (c.isalpha() and c == c.lower()) and c != "'":
                raise _unsayable(c, typed)
        if word:
            words.append(word)
    if not words:
        raise PhraseTextError(f"the phrase {typed!r} has no words; write the words you agreed on, "
                              "e.g. let's take a pause", "Write the words you agreed on.")
    if len(words) > MAX_WORDS or len(" ".join(words)) > MAX_LETTERS:
        raise PhraseTextError(
            f"the phrase {typed!r} has {len(words)} words "
            f"({len(' '.join(words))} letters); at most {MAX_WORDS} words of {MAX_LETTERS} letters can be "
            "heard (a longer phrase does not fit the stretch of audio the ear "
            "judges at once); pick a shorter phrase",
            f"That is too long to hear in one go: keep it to {MAX_WORDS} words or fewer.")
    return " ".join(words)


def _unsayable(c: str, typed: str) -> PhraseTextError:
    name = unicodedata.name(c, f"U+{ord(c):04X}").lower()
    shown = repr(c) if c.isprintable() and not c.isspace() else name
    if c.isdigit() or unicodedata.category(c) == "No":
        return PhraseTextError(f"{shown} in the phrase {typed!r} cannot be heard as written; write "
                               "numbers as words (e.g. 'five')",
                               f"It cannot hear {shown}: write numbers as words.")
    tip = "write it as 'and'" if c == "&" else "use words only"
    return PhraseTextError(f"{shown} ({name}) in the phrase {typed!r} cannot be said; {tip}",
                           f"It cannot hear {shown}: {tip}.")
