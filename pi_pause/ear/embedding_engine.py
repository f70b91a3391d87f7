"""The "embedding" engine: openWakeWord speech embeddings + a small classifier per phrase.

Every 80 ms (or every ``stride`` x 80 ms, as the phrase models were trained) the frozen front
end (:mod:`pi_pause.ear.speech_embedding`) adds one 96-number embedding; each phrase's classifier
(:mod:`pi_pause.ear.phrase_model`) scores the newest few (about 2 s of audio) for "the phrase has
just ended". The engine fires when a score stays at or above its threshold for
``hold`` embeddings in a row, then stays quiet for a moment so one utterance fires once.

It follows the spotter's Engine protocol::

    engine = EmbeddingEngine({"let's take a pause": PhraseModel.load(path)})
    for frame in frames:            # int16, 16 kHz, any size up to 100 ms
        heard = engine.feed(frame)  # the phrase, or None

Nothing heard leaves this module except the configured phrase.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pi_pause.ear.speech_embedding import FEATURES, SpeechFrontEnd
from pi_pause.ear.phrase_model import PhraseModel, PhraseModelError

DEFAULT_THRESHOLD = 0.99  # with DEFAULT_HOLD: tune split recall 0.65, 0.9 false/h (docs/spotter-embedding.md)
DEFAULT_HOLD = 2
REFRACTORY_SECONDS = 2.0


def threshold_for(sensitivity: float, base: float = DEFAULT_THRESHOLD) -> float:
    """Map ``[listen] sensitivity`` (0..1, 0.5 = the measured default) onto a score threshold.

    Moves in log-odds so each 0.1 of sensitivity is an equal step in strictness.
    """
    logit = math.log(base / (1 - base)) - (sensitivity - 0.5) * 8.0
    return 1.0 / (1.0 + math.exp(-logit))


class EmbeddingEngine:
    """Engine protocol implementation; see the module docstring."""

    name = "embedding"

    def __init__(self, models: dict[str, PhraseModel], *, threshold: float = DEFAULT_THRESHOLD,
                 hold: int = DEFAULT_HOLD, front: SpeechFrontEnd | None = None):
        self.models = dict(models)
        strides = {m.stride for m in self.models.values()}
        if len(strides) > 1:
            raise PhraseModelError("the phrase models were trained with different recipes; "
                                   "retrain the older ones with: pi-pause phrase train --force TEXT")
        self.threshold = threshold
        self.hold = hold
        self._length = max(m.length for m in self.models.values())
        self._own_front = front is None
        self.front = front or SpeechFrontEnd()
        self._stream = self.front.stream(every=strides.pop())
        self.reset()

    def reset(self) -> None:
        self._stream.reset()
        self._recent = np.zeros((0, FEATURES), np.float32)
        self._runs = dict.fromkeys(self.models, 0)
        self._quiet_until = 0.0

    def feed(self, frame: np.ndarray) -> str | None:
        heard = None
        for emb in self._stream.feed(frame):
            self._recent = np.concatenate([self._recent, emb[None]])[-self._length:]
            now = self._stream.consumed / 16000
            for phrase, model in self.models.items():
                if len(self._recent) < model.length:
                    continue
                score = float(model.score(self._recent[-model.length:].reshape(1, -1))[0])
                self._runs[phrase] = self._runs[phrase] + 1 if score >= self.threshold else 0
                if self._runs[phrase] >= self.hold and now >= self._quiet_until and heard is None:
                    heard = phrase
                    self._quiet_until = now + REFRACTORY_SECONDS
                    self._runs = dict.fromkeys(self.models, 0)
        return heard

    def close(self) -> None:
        if self._own_front:
            self.front.close()


def open_engine(phrases: tuple[str, ...], sensitivity: float, trained: Path) -> EmbeddingEngine:
    """The engine for ``phrases``, each with its model (one trained into the folder ``trained``,
    else the one shipped); a PhraseModelError names any phrase with no model."""
    from pi_pause.ear import phrase_model

    models = {p: phrase_model.load_for(p, trained) for p in phrases}
    return EmbeddingEngine(models, threshold=threshold_for(sensitivity))


def check(phrase: str, trained: Path) -> tuple[bool, str]:
    """(ok, message) for ``pi-pause phrase check`` / doctor: is there a model for ``phrase``?"""
    from pi_pause.ear import phrase_model

    path = phrase_model.find(phrase, trained)
    if path is None:
        return False, (f"no embedding model for {phrase!r}; train one with: "
                       f"pi-pause phrase train \"{phrase}\"")
    return True, f"embedding model for {phrase!r}: {path}"
