"""The phrase spotter: hears the couple's agreed phrase in a stream of audio.

The engines sit behind one small interface (:class:`~pi_pause.ear.engine.Engine`):

- :mod:`pi_pause.ear.sphinx_engine`: PocketSphinx keyword spotting plus a second-stage
  check against competing words. Its English model ships inside the PyPI wheel, so
  it works on any fresh machine with no download.
- :mod:`pi_pause.ear.vosk_engine`: a Vosk recogniser restricted to a small grammar of
  the phrase words, competing words and the model's unknown-word token. Needs a
  model folder (``[listen] vosk_model``).
- :mod:`pi_pause.ear.two_stage` (``engine = "two-stage"``, what ``auto`` picks): lenient
  first stages (:mod:`pi_pause.ear.first_stages`) propose, and Whisper tiny.en
  (:mod:`pi_pause.ear.verifier`) confirms each candidate from the phrase's text alone.
  ``open_spotter(..., live=True)`` (the service, ``pi-pause listen``) verifies on a
  worker thread, so the listener never waits; otherwise (``pi-pause detect``,
  benchmarks) the same candidates are verified at once, in order.

:class:`PhraseSpotter` wraps one engine, counts the audio it has consumed and
turns what the engine heard into a :class:`~pi_pause.events.PhraseHeard` event.
:func:`open_spotter` picks the engine from the settings and refuses a phrase the
engine cannot hear (:class:`PhraseError`), with a suggestion.

Example::

    from pi_pause import config, wav
    from pi_pause.ear import spotter

    s = spotter.open_spotter(config.Settings())
    for frame in wav.frames(wav.read("argument.wav"), 1600):   # 100 ms frames
        if (heard := s.feed(frame)) is not None:
            print(heard.phrase, "at", heard.time, "s")

Privacy: nothing here logs or returns what was said. Engines only ever return one
of the configured phrases; transcripts and partial results stay inside them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pi_pause import config, dirs
from pi_pause.errors import UserError
from pi_pause.ear import verifier, vosk_engine
from pi_pause.ear.engine import MAX_FRAME, RATE, Engine, Finding, PhraseError
from pi_pause.events import PhraseHeard

log = logging.getLogger(__name__)

# Engines decide that a phrase has ended when they hear the pause after it. A
# recording can end right after the phrase, with no pause to hear; at its end the
# spotter plays the engine this much silence, as a room would.
FINISH_SECONDS = 2.0


class PhraseSpotter:
    """One engine, fed in frames, reporting :class:`PhraseHeard` events.

    ``time`` in each event is the seconds of audio consumed when the engine fired,
    counted from the start (or the last :meth:`reset`).
    """

    def __init__(self, engine: Engine):
        self._engine = engine
        self._samples = 0

    @property
    def engine_name(self) -> str:
        return self._engine.name

    def feed(self, frame: np.ndarray) -> PhraseHeard | None:
        """Feed int16 mono 16 kHz samples; longer blocks are split into 100 ms frames."""
        frame = np.asarray(frame, dtype=np.int16).reshape(-1)
        heard = None
        for start in range(0, len(frame), MAX_FRAME):
            part = frame[start:start + MAX_FRAME]
            self._samples += len(part)
            phrase = self._engine.feed(part)
            if phrase is not None and heard is None:
                heard = PhraseHeard(phrase=phrase, time=round(self._samples / RATE, 3))
                log.info("phrase detected")
        return heard

    def reset(self) -> None:
        self._engine.reset()
        self._samples = 0

    def finish(self) -> PhraseHeard | None:
        """The input has ended: let the engine hear the end of its last words.

        Silence is fed to the engine (not counted as audio consumed), so a phrase
        at the very end of a recording is still heard; its ``time`` is the end of
        the recording."""
        silence = np.zeros(MAX_FRAME, dtype=np.int16)
        heard = None
        for _ in range(int(FINISH_SECONDS * RATE) // MAX_FRAME):
            phrase = self._engine.feed(silence)
            if phrase is not None:
                heard = PhraseHeard(phrase=phrase, time=round(self._samples / RATE, 3))
                log.info("phrase detected")
                break
        return heard

    def stats(self) -> dict:
        """Counters for benchmarks (the two-stage engine's candidates and verifier CPU); no content."""
        stats = getattr(self._engine, "stats", None)
        return stats() if stats else {}

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> PhraseSpotter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def chosen_engine(settings: config.Settings, phrases: tuple[str, ...] | None = None) -> str:
    """The engine in use: the configured one, or what ``engine = "auto"`` resolves to.

    ``auto`` is the two-stage spotter while the Whisper model is intact (it is a
    dependency, so unless it is damaged) and PocketSphinx, its text-defined first
    stage, knows every word of every phrase (an English phrase): on the test split
    it heard far more than any single engine (docs/benchmarks.md). Otherwise
    Vosk when its model is present, else PocketSphinx.
    """
    wanted = settings.listen.engine
    if wanted != "auto":
        return wanted
    if _two_stage_problem(settings, phrases) is None:
        return "two-stage"
    return "vosk" if vosk_engine.model_problem(vosk_model_path(settings)) is None else "pocketsphinx"


def auto_reason(settings: config.Settings, phrases: tuple[str, ...] | None = None) -> str:
    """Why ``engine = "auto"`` picks what it picks (for the log, doctor and ``phrase check``)."""
    problem = _two_stage_problem(settings, phrases)
    if problem is None:
        return "the Whisper verifier's model is installed and intact"
    vosk = ("a Vosk model is present" if vosk_engine.model_problem(vosk_model_path(settings)) is None
            else "no Vosk model at " + str(vosk_model_path(settings)))
    return f"not two-stage: {problem}; {vosk}"


def _two_stage_problem(settings: config.Settings, phrases: tuple[str, ...] | None) -> str | None:
    from pi_pause.ear import sphinx_engine

    problem = verifier.model_problem()
    if problem is not None:
        return problem
    unheard = [f.message for f in sphinx_engine.check(tuple(phrases or settings.listen.phrases)) if not f.ok]
    return unheard[0] if unheard else None


def open_spotter(settings: config.Settings, phrases: tuple[str, ...] | None = None,
                 engine: str | None = None, *, live: bool = False) -> PhraseSpotter:
    """The spotter the settings ask for, with every phrase checked first.

    ``phrases`` and ``engine`` override the settings (``pi-pause detect`` uses them).
    ``live`` (the service and ``pi-pause listen``): the two-stage engine verifies on a
    worker thread instead of inline. Raises :class:`PhraseError` for a phrase the
    engine cannot hear.
    """
    phrases = tuple(phrases or settings.listen.phrases)
    wanted = engine or settings.listen.engine
    name = chosen_engine(_with_engine(settings, wanted), phrases)
    sensitivity = settings.listen.sensitivity
    if name == "two-stage":
        built = PhraseSpotter(_two_stage(settings, phrases, live))
    elif name == "vosk":
        model = vosk_engine.load_model(vosk_model_path(settings))
        _refuse_unheard(vosk_engine.check(model, phrases))
        built = PhraseSpotter(vosk_engine.VoskEngine(model, phrases, sensitivity))
    elif name == "embedding":
        from pi_pause.ear import embedding_engine

        built = PhraseSpotter(embedding_engine.open_engine(phrases, sensitivity, trained_models_dir(settings)))
    else:
        from pi_pause.ear import sphinx_engine

        _refuse_unheard(sphinx_engine.check(phrases))
        built = PhraseSpotter(sphinx_engine.SphinxEngine(phrases, sensitivity))
    if wanted == "auto":
        log.info("listening with %s (engine auto: %s)", built.engine_name, auto_reason(settings, phrases))
    else:
        log.info("listening with %s", built.engine_name)
    return built


def _two_stage(settings: config.Settings, phrases: tuple[str, ...], live: bool):
    """First stages for ``phrases`` and the Whisper verifier, verifying inline or on a thread."""
    from pi_pause.ear import first_stages, sphinx_engine, two_stage

    _refuse_unheard(sphinx_engine.check(phrases))
    from pi_pause.ear import decision

    try:
        cache = dirs.cache_dir(settings)
    except UserError as exc:  # no writable cache: Whisper base cannot be joined there
        log.warning("deciding with Whisper tiny.en alone: %s", exc)
        cache = None
    judge = decision.open_decision(settings.listen.sensitivity, cache)
    checks = two_stage.ThreadedChecks(judge) if live else two_stage.InlineChecks(judge)
    stages = first_stages.open_stages(settings, phrases, trained_models_dir(settings))
    return two_stage.TwoStageEngine([stage.proposer for stage in stages], checks)


def check_phrase(settings: config.Settings, phrase: str) -> list[Finding]:
    """How each available engine would hear ``phrase`` (for ``doctor`` and ``phrase check``)."""
    from pi_pause.ear import sphinx_engine

    findings = sphinx_engine.check((phrase,))
    if vosk_engine.model_problem(vosk_model_path(settings)) is None:
        try:
            model = vosk_engine.load_model(vosk_model_path(settings))
        except UserError as exc:
            findings.append(Finding("vosk", False, str(exc)))
        else:
            findings += vosk_engine.check(model, (phrase,))
    from pi_pause.ear import embedding_engine, first_stages

    findings.append(Finding("embedding", *embedding_engine.check(phrase, trained_models_dir(settings))))
    problem = verifier.model_problem()
    if problem is not None:
        findings.append(Finding("two-stage", False, problem))
    elif not findings[0].ok:
        findings.append(Finding("two-stage", False, "its first stage is PocketSphinx, which cannot hear "
                                                    "every word (see above)"))
    else:
        stages = "; ".join(first_stages.describe(settings, (phrase,), trained_models_dir(settings)))
        findings.append(Finding("two-stage", True, f"proposed by {stages}; confirmed by Whisper tiny.en "
                                                   "from the phrase's text (no training needed)"))
    return findings


def vosk_model_path(settings: config.Settings):
    return settings.resolve(settings.listen.vosk_model)


def trained_models_dir(settings: config.Settings, for_writing: bool = False) -> Path:
    """Where ``pi-pause phrase train`` keeps phrase models (the state folder: they are costly
    to remake). To read them, a state folder that cannot be written will do (and the
    shipped models need none), so only ``for_writing`` insists on a writable one."""
    try:
        return dirs.state_dir(settings) / "phrase-models"
    except config.ConfigError:
        if for_writing:
            raise
        return settings.resolve(settings.paths.state_dir) / "phrase-models"


def _with_engine(settings: config.Settings, engine: str) -> config.Settings:
    import dataclasses

    return dataclasses.replace(settings, listen=dataclasses.replace(settings.listen, engine=engine))


def _refuse_unheard(findings: list[Finding]) -> None:
    for f in findings:
        if not f.ok:
            raise PhraseError(f.message)
        if f.message:
            log.warning("%s", f.message)
