"""How long may a phrase be? Longer and longer phrases, spoken and streamed through the spotter.

The two-stage spotter's verifier judges a window of ``two_stage.WINDOW_SECONDS`` ending at
the phrase; a phrase that takes longer to say no longer fits, and is never confirmed. This
speaks each phrase with the bundled voice (Piper joe, at its ordinary pace and a slower one),
between two other sentences, and says whether the spotter heard it. The limit in
``pi_pause.phrase_text.MAX_WORDS`` is lifted for the run, so the longer phrases get through
to the engines. Results go to docs/benchmarks.md ("How long a phrase may be").

    .venv/bin/python -m benchmarks.phrase_length
"""

from __future__ import annotations

import dataclasses

from pi_pause import config, phrase_text
from pi_pause.ear import spotter
from tests import speech

PHRASES = (
    "let's take a pause",
    "can we take a break",
    "can we take a little break",
    "can we please take a little break",
    "i think we should take a little break",
    "i think we should take a little break now",
    "i think we should take a little break right now",
    "i think we really should take a little break right now please",
)
PACES = (1.0, 1.55, 2.0)  # Piper length_scale: brisk, the device's own calm pace, slow


def main() -> None:
    phrase_text.MAX_WORDS, phrase_text.MAX_LETTERS = 99, 999
    settings = dataclasses.replace(config.Settings(), listen=dataclasses.replace(
        config.Settings().listen, vosk_model="/nonexistent"))
    print("| words | pace | seconds | heard |")
    print("|---|---|---|---|")
    for phrase in PHRASES:
        with spotter.open_spotter(settings, (phrase,)) as heard_by:
            for pace in PACES:
                said = speech.english(phrase + ".", pace)
                audio = speech.join(speech.english("I need a moment."), said,
                                    speech.english("Then we talk."))
                heard = [e.phrase for e in speech.spot(heard_by, audio)] == [phrase]
                heard_by.reset()
                print(f"| {len(phrase.split())} | {pace:g} | {len(said) / speech.RATE:.2f} | "
                      f"{'yes' if heard else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
