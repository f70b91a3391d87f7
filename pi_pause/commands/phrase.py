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
# How long the service may take to learn a voice: 54 s of CPU here the first time (the bank
# of synthetic talk is made then), minutes on a Pi 4.
LEARN_SECONDS = 900.0


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
        if listening.voices:
            print(f"info {listening.voices}")
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
            "notes": list(listening.notes), "voices": listening.voices}


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


def phrase_enroll_command(args, settings: config.Settings) -> int:
    """``pi-pause phrase enroll --speaker NAME [FILE.wav ...]``: teach it one person's voice.

    With recordings, every take is judged and adapted here, then the running service
    (if any) is asked to listen with the new voice. Without, the service records the
    takes from its own microphone, one request a take (see :mod:`pi_pause.service.enrolling`)."""
    from pi_pause.ear import enrollment

    if args.takes < enrollment.MIN_TAKES:
        raise enrollment.EnrollmentError(f"--takes {args.takes} is too few; give at least "
                                         f"{enrollment.MIN_TAKES} (five learn a voice best)")
    if args.files:
        return _enroll_from_files(settings, enrollment.check_room(settings, args.speaker), args.files,
                                  args.takes)
    # The service keeps the voices in its own state folder, and checks for room there.
    return _enroll_through_service(settings, enrollment.check_name(args.speaker), args.takes)


def _enroll_from_files(settings: config.Settings, name: str, files: list[Path], needed: int) -> int:
    from pi_pause.ear import enrollment, voiceprint
    from pi_pause.wav import WavError

    phrases = enrollment.phrases_of(settings)
    judge = enrollment.open_judge(settings)
    verdicts = []
    for path in files:
        try:
            verdict = enrollment.judge_take(enrollment.read_take(path), phrases, judge)
        except WavError as exc:
            print(f"FAIL {exc}")
            continue
        print(f"{'ok  ' if verdict.ok else 'FAIL'} {path.name}: {verdict.reason}")
        verdicts.append(verdict)
    del judge
    phrase, takes = enrollment.chosen_phrase(verdicts)
    if len(takes) < needed:
        print(f"FAIL {len(takes)} good take(s) of the {needed} needed; record more of {name} saying "
              "the phrase and run this again with all the good ones")
        return 1
    dropped = sum(1 for v in verdicts if v.ok and v.phrase != phrase)
    if dropped:
        print(f"info {dropped} good take(s) of another phrase left out: one phrase a person")
    started = time.perf_counter()
    print(f"learning {name}'s voice from {len(takes)} takes ...", flush=True)
    numbers = voiceprint.adapt(takes, phrase, cache=enrollment.speech_cache(settings),
                               log=lambda msg: log.info("%s", msg))
    count = len(takes)
    del takes, verdicts  # the audio goes; only numbers are kept
    path = enrollment.save(settings, name, numbers, takes=count, phrase=phrase)
    print(f"enrolled {name} for {phrase!r} ({count} takes) in {time.perf_counter() - started:.0f} s "
          f"-> {path}")
    _tell_service(settings)
    return 0


def _tell_service(settings: config.Settings, later: str = "it will listen for these voices when it starts") -> None:
    """Ask a running service to listen with the enrolled voices as they are now."""
    from pi_pause.service.control_socket import ControlError, request_service

    try:
        reply = request_service(settings, "reload-voices", timeout=120)
    except ControlError:
        print(f"the service is not running; {later}")
        return
    print(reply.get("message") if reply.get("ok") else f"warn the service: {reply.get('error')}")


def _enroll_through_service(settings: config.Settings, name: str, needed: int) -> int:
    """The running service records each take from its microphone (it owns it) and judges it;
    at the end it learns the voice and listens with it at once."""
    from pi_pause.service.control_socket import ControlError, request_service

    try:
        request_service(settings, "status")
    except ControlError:
        print("FAIL the microphone belongs to the running service, and none answers: start it "
              "('sudo systemctl start pi-pause' or 'pi-pause run'), or pass recordings: "
              f"pi-pause phrase enroll --speaker {name!r} take1.wav take2.wav ...")
        return 1
    good, tries = 0, 0
    try:
        while good < needed:
            if tries >= needed * 3:
                print(f"FAIL {good} good take(s) after {tries} tries; check the microphone "
                      "(pi-pause doctor) and try again")
                request_service(settings, f"enroll-cancel {name}")
                return 1
            tries += 1
            print(f"take {good + 1} of {needed}: say the phrase after the tone ...", flush=True)
            reply = request_service(settings, f"enroll-take {name}", timeout=60)
            if not reply.get("ok"):
                print(f"FAIL {reply.get('error', 'refused')}")
                return 1
            print(f"{'ok  ' if reply.get('good_take') else 'FAIL'} {reply.get('reason', '')}")
            good = int(reply.get("takes", good))
        print(f"learning {name}'s voice from {good} takes ...", flush=True)
        reply = request_service(settings, f"enroll-finish {name}", timeout=LEARN_SECONDS)
    except KeyboardInterrupt:
        request_service(settings, f"enroll-cancel {name}")
        print("cancelled; the takes were dropped")
        return 1
    print(reply.get("message") if reply.get("ok") else f"FAIL {reply.get('error', 'refused')}")
    return 0 if reply.get("ok") else 1


def phrase_forget_command(args, settings: config.Settings) -> int:
    """``pi-pause phrase forget [--speaker NAME]``: delete one person's numbers, or everyone's."""
    from pi_pause.ear import enrollment

    gone = enrollment.forget(settings, args.speaker)
    if not gone:
        print("nobody is enrolled; nothing to forget")
        return 0
    print(f"forgot {' and '.join(gone)}: their numbers are deleted")
    _tell_service(settings, "it will not listen for them when it starts")
    return 0
