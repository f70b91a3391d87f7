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

"Will this phrase be heard?" has one answer, :func:`check` (doctor, ``phrase check``,
the settings page through ``phrase check --json``). It runs the same two steps as
:func:`open_spotter`: :func:`prepare` (the phrase as typed made into the words the
ear hears, by :func:`pi_pause.phrase_text.normalise`; the engine chosen; every word
checked against it) and then the builders, which it runs too, for every part that
depends on the phrase. So a check can never pass what listening then refuses::

    spotter.check(settings, ("Pause the pause!",))   # Verdict(ok=True, listening=...)
    spotter.check(settings, ("xyzzy plugh",)).plain   # "It cannot hear 'xyzzy': pick everyday words."

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause import config, dirs, phrase_text
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
    phrases = _leniently_normalised(phrases or settings.listen.phrases)
    unheard = [f.message for f in sphinx_engine.check(phrases) if not f.ok]
    return unheard[0] if unheard else None


# -- will this phrase be heard? One answer, from the code that listens ----------------

@dataclass(frozen=True)
class Listening:
    """What listening will be for a set of phrases, worked out before any model loads."""

    engine: str
    """The engine that will listen (``auto`` resolved)."""
    phrases: tuple[str, ...]
    """The phrases as the ear hears them: normalised (:mod:`pi_pause.phrase_text`), each once."""
    how: str
    """One line: what the engine is made of (for doctor, ``phrase check``, the log)."""
    warnings: tuple[Finding, ...] = ()
    """It will listen, but not at its best: a short phrase false-triggers more often."""
    notes: tuple[str, ...] = ()
    """Information only: an optional stage that is not there (nothing is missing)."""
    why: str = ""
    """Why ``engine = "auto"`` picked the engine ("" when the settings name one)."""
    voices: str = ""
    """One line: whose enrolled voices it listens for ("enrolled voices: Sam (5 takes)"), or
    that none are, or why an enrollment is not used (:mod:`pi_pause.ear.enrollment`)."""


@dataclass(frozen=True)
class Verdict:
    """:func:`check`'s answer: ``ok`` is True exactly when :func:`open_spotter` would listen."""

    ok: bool
    listening: Listening | None
    problem: str = ""
    """Why not, in one line with the fix (when not ok)."""
    plain: str = ""
    """The same in a couple's words, for the settings page."""


def prepare(settings: config.Settings, phrases: tuple[str, ...] | None = None,
            engine: str | None = None) -> Listening:
    """The phrases normalised, the engine chosen and every word checked against it.

    The first half of :func:`open_spotter` and of :func:`check`; nothing heavy is
    loaded here (a Vosk model is, when Vosk listens: its vocabulary is in it).
    Raises :class:`PhraseError` (or another one-line :class:`UserError`, such as a
    damaged model) when listening cannot start.
    """
    from pi_pause.ear import sphinx_engine

    phrases = _normalised(phrases or settings.listen.phrases)
    wanted = engine or settings.listen.engine
    name = chosen_engine(_with_engine(settings, wanted), phrases)
    trained = trained_models_dir(settings)
    if name in ("two-stage", "pocketsphinx"):
        if name == "two-stage" and (problem := verifier.model_problem()) is not None:
            raise verifier.VerifierError(problem)
        findings = sphinx_engine.check(phrases)
    elif name == "vosk":
        findings = vosk_engine.check(vosk_engine.load_model(vosk_model_path(settings)), phrases)
    else:
        from pi_pause.ear import embedding_engine

        findings = [Finding("embedding", *embedding_engine.check(p, trained)) for p in phrases]
        for f in findings:
            if not f.ok:
                raise PhraseError(f"{f.message}, or set [listen] engine = \"auto\" (no training needed)",
                                  "This phrase needs training first: run pi-pause phrase train.")
    warnings, notes = [], []
    for f in findings:
        if not f.ok:
            raise PhraseError(f.message, f.plain)
        if f.message and name != "embedding":
            warnings.append(f)
    if name == "two-stage":
        from pi_pause.ear import first_stages, phrase_model

        stages = first_stages.describe(settings, phrases, trained)
        how = (f"two-stage: proposed by {'; '.join(stages)}; confirmed by Whisper tiny.en from the "
               "phrase's text (no training needed)")
        untrained = [p for p in phrases if phrase_model.find(p, trained) is None]
        if untrained:
            notes.append(f"no trained model for {', '.join(repr(p) for p in untrained)}, and none is "
                         "needed; `pi-pause phrase train` can add one as an extra first stage")
    elif name == "vosk":
        how = f"Vosk with {vosk_model_path(settings)}"
    elif name == "embedding":
        how = "openWakeWord embeddings with a phrase model for each phrase"
    else:
        how = "PocketSphinx keyword spotting, checked against competing words (built in)"
    # Asked now, while the dictionary is still loaded (the engines drop it to save memory).
    why = auto_reason(settings, phrases) if wanted == "auto" else ""
    return Listening(name, phrases, how, tuple(warnings), tuple(notes), why,
                     _voices(settings, phrases, name))


def _voices(settings: config.Settings, phrases: tuple[str, ...], engine: str) -> str:
    from pi_pause.ear import enrollment

    enrolled = enrollment.load(settings, phrases)
    if engine == "two-stage" or not enrolled.everyone:
        return enrolled.summary()
    return (f"enrolled voices: {', '.join(p.name for p in enrolled.everyone)}, not used by the "
            f"{engine} engine (the two-stage one uses them: [listen] engine = \"auto\")")


def check(settings: config.Settings, phrases: tuple[str, ...] | None = None,
          engine: str | None = None) -> Verdict:
    """Will ``phrases`` (default: the configured ones) be heard? The one answer for doctor,
    ``phrase check`` and the settings page.

    It runs the same code as :func:`open_spotter`: :func:`prepare`, then it builds
    every part that depends on the phrase (PocketSphinx's keyword set, Vosk's grammar,
    the embedding classifiers, the Whisper tokens) and frees them again. Only
    Whisper's weights are not loaded: they do not depend on the phrase, and every
    file of them is checked by its sha256 instead. So ``ok`` means "it will listen".
    Never raises for a phrase: a refusal is ``ok=False`` with its one line.
    """
    try:
        listening = prepare(settings, phrases, engine)
        _build(settings, listening, live=False, dry_run=True).close()
    except UserError as exc:
        plain = getattr(exc, "plain", "") or "It cannot listen now: pi-pause doctor says why."
        return Verdict(False, None, str(exc), plain)
    return Verdict(True, listening)


def open_spotter(settings: config.Settings, phrases: tuple[str, ...] | None = None,
                 engine: str | None = None, *, live: bool = False) -> PhraseSpotter:
    """The spotter the settings ask for, with every phrase checked first (by :func:`prepare`,
    as :func:`check` does).

    ``phrases`` and ``engine`` override the settings (``pi-pause detect`` uses them).
    ``live`` (the service and ``pi-pause listen``): the two-stage engine verifies on a
    worker thread instead of inline. Raises :class:`PhraseError` for a phrase the
    engine cannot hear.
    """
    listening = prepare(settings, phrases, engine)
    for warning in listening.warnings:
        log.warning("%s", warning.message)
    built = _build(settings, listening, live)
    if listening.why:
        log.info("listening with %s (engine auto: %s)", built.engine_name, listening.why)
    else:
        log.info("listening with %s", built.engine_name)
    return built


def _build(settings: config.Settings, listening: Listening, live: bool, dry_run: bool = False):
    """The engine for ``listening``, wrapped in a :class:`PhraseSpotter`. With ``dry_run``,
    every phrase-dependent part is built but Whisper's weights are not loaded (the result
    is only good for ``close()``)."""
    phrases, sensitivity = listening.phrases, settings.listen.sensitivity
    try:
        if listening.engine == "two-stage":
            return PhraseSpotter(_two_stage(settings, phrases, live, dry_run))
        if listening.engine == "vosk":
            model = vosk_engine.load_model(vosk_model_path(settings))
            return PhraseSpotter(vosk_engine.VoskEngine(model, phrases, sensitivity))
        if listening.engine == "embedding":
            from pi_pause.ear import embedding_engine

            trained = trained_models_dir(settings)
            return PhraseSpotter(embedding_engine.open_engine(phrases, sensitivity, trained))
        from pi_pause.ear import sphinx_engine

        return PhraseSpotter(sphinx_engine.SphinxEngine(phrases, sensitivity))
    except RuntimeError as exc:  # what PocketSphinx raises when it will not take a word
        words = " / ".join(repr(p) for p in phrases)
        raise PhraseError(f"{listening.engine} cannot listen for {words} ({exc}); pick other words",
                          "It cannot hear this phrase: pick other words.") from None


def _two_stage(settings: config.Settings, phrases: tuple[str, ...], live: bool, dry_run: bool = False):
    """First stages for ``phrases`` and the Whisper verifier, verifying inline or on a thread."""
    from pi_pause.ear import first_stages, two_stage

    # Whisper first: loading it briefly takes about as much memory again as it keeps, so
    # the peak is lowest while little else is loaded yet.
    if dry_run:
        verifier.check_tokens(phrases)
        judge = None
    else:
        from pi_pause.ear import decision

        try:
            cache = dirs.cache_dir(settings)
        except UserError as exc:  # no writable cache: Whisper base cannot be joined there
            log.warning("deciding with Whisper tiny.en alone: %s", exc)
            cache = None
        judge = decision.open_decision(settings.listen.sensitivity, cache,
                                       _enrolled_opinions(settings, phrases))
        judge.prepare(phrases)
    stages = first_stages.open_stages(settings, phrases, trained_models_dir(settings))
    checks = two_stage.ThreadedChecks(judge) if live and judge else two_stage.InlineChecks(judge)
    return two_stage.TwoStageEngine([stage.proposer for stage in stages], checks)


def _enrolled_opinions(settings: config.Settings, phrases: tuple[str, ...]) -> tuple:
    """The couple's enrolled voices as a second opinion, when anyone is enrolled for ``phrases``."""
    from pi_pause.ear import enrollment, voiceprint

    enrolled = enrollment.load(settings, phrases)
    if not enrolled.people:
        return ()
    log.info("listening for %d enrolled voice(s) too", len(enrolled.people))
    return (voiceprint.EnrolledOpinion([p.numbers for p in enrolled.people]),)


def _normalised(phrases) -> tuple[str, ...]:
    """Each phrase as the ear hears it, once (a repeated phrase would be listened for twice)."""
    try:
        return tuple(dict.fromkeys(phrase_text.normalise(p) for p in phrases))
    except phrase_text.PhraseTextError as exc:
        raise PhraseError(str(exc), exc.plain) from None


def _leniently_normalised(phrases) -> tuple[str, ...]:
    try:
        return _normalised(phrases)
    except PhraseError:
        return tuple(phrases)


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
