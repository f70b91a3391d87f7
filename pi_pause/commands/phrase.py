"""``pi-pause phrase check TEXT`` and ``pi-pause phrase train TEXT``.

``check`` helps the couple choose a phrase that works. It asks
:func:`pi_pause.ear.spotter.check`, which builds what listening would build, so
"ok" means the service will listen for it; it reports only what the engine in
force needs (an optional stage that is not there is ``info``, not a failure).
Then how long the phrase is and how common its words are in ordinary English,
taken from the unigram frequencies of PocketSphinx's bundled language model.
Longer phrases made of less common words are matched by everyday speech far less
often.

``train`` builds the embedding engine's classifier for a phrase
(:mod:`pi_pause.ear.phrase_model`) from synthesised speech only.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

from pi_pause import config, phrase_text
from pi_pause.ear import phrase_data, phrase_model, pronounce, spotter
from pi_pause.progress import Progress

log = logging.getLogger(__name__)

# Unigram log10 probability above which a word counts as very common ("the", "take").
COMMON_LOG10 = -3.0


def phrase_check_command(args, settings: config.Settings) -> int:
    """Will the phrase be heard? Asked of :func:`pi_pause.ear.spotter.check`, the code that
    listens, for the engine in force only; exit 1 exactly when it will not be heard."""
    phrases = tuple(args.text) if args.each else (" ".join(args.text),)
    verdict = spotter.check(settings, phrases)
    if args.json:
        print(json.dumps(_as_json(verdict), ensure_ascii=False))
        return 0 if verdict.ok else 1
    listening = verdict.listening
    if not verdict.ok:
        print(f"FAIL {verdict.problem}")
    else:
        said = " and ".join(repr(p) for p in listening.phrases)
        print(f"ok   {said} will be heard, by {listening.how}")
        for warning in listening.warnings:
            print(f"warn {warning.message}")
        for note in listening.notes:
            print(f"info {note}")
        lexicon = pronounce.lexicon()
        for phrase in listening.phrases:
            words = phrase.split()
            if not all(w in lexicon for w in words):
                continue  # a Vosk phrase in another language: no English figures
            print(f"length: {len(words)} words, {pronounce.syllables(phrase, lexicon)} syllables "
                  "(four or more syllables false-trigger far less)")
            common = [w for w in words if pronounce.log10_frequency(w) > COMMON_LOG10]
            rarest = min(words, key=pronounce.log10_frequency)
            print(f"common words: {', '.join(common) or 'none'}; rarest word: {rarest!r} "
                  f"(about 1 in {10 ** -pronounce.log10_frequency(rarest):,.0f} words of everyday "
                  "English)")
    heard = listening.phrases if listening else None
    chosen = listening.engine if listening else spotter.chosen_engine(settings, heard)
    why = f" (engine auto: {spotter.auto_reason(settings, heard)})" if settings.listen.engine == "auto" else ""
    print(f"listens with: {chosen}{why}")
    return 0 if verdict.ok else 1


def _as_json(verdict: spotter.Verdict) -> dict:
    if not verdict.ok:
        return {"ok": False, "problem": verdict.problem, "plain": verdict.plain}
    listening = verdict.listening
    return {"ok": True, "phrases": list(listening.phrases), "engine": listening.engine,
            "plain": "It will hear this.",
            "warnings": [w.message for w in listening.warnings],
            "plain_warnings": [w.plain for w in listening.warnings if w.plain],
            "notes": list(listening.notes)}


def phrase_train_command(args, settings) -> int:
    """``pi-pause phrase train TEXT``: build and store the model for a phrase."""
    # Read the way the ear reads it ("Let's Take A Pause!" is "let's take a pause").
    phrase = phrase_text.normalise(" ".join(args.text))
    recipe = phrase_data.Recipe()
    out = spotter.trained_models_dir(settings, for_writing=True) / (phrase_model.model_key(phrase, recipe.version) + ".npz")
    if out.exists() and not args.force:
        print(f"already trained: {out} (use --force to retrain)")
        return 0
    started = time.perf_counter()
    # The synthetic speech (~1.1 GB for recipe r2) is only needed while training: a temporary
    # folder, removed afterwards.
    with tempfile.TemporaryDirectory(prefix="pi-pause-phrase-") as speech:
        with Progress("making and embedding training speech", unit="part") as progress:
            model = phrase_model.build(phrase, recipe, Path(speech), jobs=max(1, args.jobs),
                                       log=lambda msg: log.info("%s", msg), progress=progress)
    model.save(out)
    print(f"trained {phrase!r} in {time.perf_counter() - started:.0f} s -> {out}")
    return 0
