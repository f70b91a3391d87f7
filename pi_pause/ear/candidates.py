"""What a first stage proposes, and the contract every first stage keeps.

A first stage listens cheaply and leniently for the phrase and proposes
:class:`Candidate` moments: "the phrase may be ending around sample N". It is meant
to let through almost every phrase and plenty of near-misses; the verifier
(:mod:`pi_pause.ear.verifier`) decides. Stages: PocketSphinx keyword spotting
(:mod:`pi_pause.ear.sphinx_proposer`, text-defined, any phrase) and the embedding
classifier at a low threshold (:mod:`pi_pause.ear.embedding_proposer`, where a
model for the phrase exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Candidate:
    """The phrase may be ending around sample ``at`` (counted from the last reset).

    ``at`` is when the first stage fired, which is close to, not exactly, the
    phrase's end: keyword spotting fires during the last word (on the tune split
    the phrase ended a median 0.32 s later, p90 0.65 s), so the verifier tries
    windows ending a little after it.
    """

    phrase: str
    at: int


class Proposer(Protocol):
    """A lenient first stage, fed the same frames as the spotter."""

    name: str

    def feed(self, frame: np.ndarray) -> list[Candidate]:
        """Take int16 mono 16 kHz samples (<= 100 ms); the candidates they complete."""

    def reset(self) -> None:
        """Forget all audio so far; sample counts start again at 0."""

    def close(self) -> None:
        """Free the model."""
