"""Which first stages listen for the two-stage spotter, and why.

- PocketSphinx keyword spotting, always: it is defined by the phrase's text, so
  any phrase in its dictionary is proposed the moment it is configured.
- The embedding classifier at a low threshold, for the phrases that have a
  trained model (``pi-pause phrase train``): an optional booster.
- Vosk's grammar recogniser, when an English Vosk model is installed (a Pi set
  up with ``./bootstrap.sh run``).

Every stage only proposes; :mod:`pi_pause.ear.verifier` decides. A one-shot
engine (Vosk, embedding) is turned into a proposer by :class:`EngineProposer`,
which dates each firing back to match keyword spotting's timing (which fires
during the last word), so the verifier's windows fit every stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause.ear.candidates import Candidate, Proposer

RATE = 16_000
EMBEDDING_THRESHOLD = 0.5  # far below its own 0.99: the verifier judges
# The classifier fires a median 0.22 s after the phrase's end (docs/benchmarks.md), KWS
# about 0.3 s before it: dated back by the difference, its candidates get KWS's windows.
EMBEDDING_LAG_SECONDS = 0.5
VOSK_LAG_SECONDS = 0.3  # a partial result names the last word about as it ends (not measured here)


@dataclass(frozen=True)
class Stage:
    """One first stage and the reason it listens (for doctor and ``phrase check``)."""

    proposer: Proposer
    why: str


class EngineProposer:
    """Any single-stage engine (``feed -> phrase or None``) as a proposer."""

    def __init__(self, engine, lag_seconds: float):
        self.engine = engine
        self.name = engine.name
        self._lag = int(lag_seconds * RATE)
        self._consumed = 0

    def feed(self, frame: np.ndarray) -> list[Candidate]:
        self._consumed += len(frame)
        phrase = self.engine.feed(frame)
        return [] if phrase is None else [Candidate(phrase, max(self._consumed - self._lag, 0))]

    def reset(self) -> None:
        self.engine.reset()
        self._consumed = 0

    def close(self) -> None:
        self.engine.close()


def describe(settings, phrases: tuple[str, ...], trained: Path) -> list[str]:
    """Which stages would listen for ``phrases``, each with why (nothing is loaded).

    ``trained`` is the folder of phrase models trained here (``spotter.trained_models_dir``)."""
    from pi_pause.ear import phrase_model, vosk_engine

    lines = ["pocketsphinx keyword spotting (text-defined: any phrase in its dictionary)"]
    modelled = [p for p in phrases if phrase_model.find(p, trained) is not None]
    if modelled:
        lines.append(f"embedding classifier (a trained model for {', '.join(repr(p) for p in modelled)})")
    if vosk_engine.model_problem(settings.resolve(settings.listen.vosk_model)) is None:
        lines.append(f"vosk grammar (an English Vosk model at {settings.resolve(settings.listen.vosk_model)})")
    return lines


def open_stages(settings, phrases: tuple[str, ...], trained: Path) -> list[Stage]:
    """Load every first stage that applies to ``phrases`` (see the module docs)."""
    from pi_pause.ear import phrase_model, vosk_engine
    from pi_pause.ear.sphinx_proposer import SphinxProposer

    stages = [Stage(SphinxProposer(phrases), "text-defined")]
    models = {}
    for p in phrases:
        if phrase_model.find(p, trained) is not None:
            models[p] = phrase_model.load_for(p, trained)
    if models:
        from pi_pause.ear.embedding_engine import EmbeddingEngine

        engine = EmbeddingEngine(models, threshold=EMBEDDING_THRESHOLD, hold=1)
        stages.append(Stage(EngineProposer(engine, EMBEDDING_LAG_SECONDS), "trained model"))
    if vosk_engine.model_problem(settings.resolve(settings.listen.vosk_model)) is None:
        model = vosk_engine.load_model(settings.resolve(settings.listen.vosk_model))
        # A phrase outside the Vosk vocabulary is still proposed by PocketSphinx.
        if all(f.ok for f in vosk_engine.check(model, phrases)):
            engine = vosk_engine.VoskEngine(model, phrases, 1.0)
            stages.append(Stage(EngineProposer(engine, VOSK_LAG_SECONDS), "Vosk model installed"))
    return stages
