"""The decision: does a candidate's window end with the phrase? Whisper tiny.en, then base when unsure.

:class:`CascadeDecision` is what the two-stage engine calls its verifier (the same
``score(windows, phrase) -> float`` and ``threshold``), built from independent
opinions:

1. **Whisper tiny.en** scores every window (:class:`~pi_pause.ear.verifier.WhisperVerifier`,
   the phrase's text teacher-forced; 0 is certain, near-misses score around -10).
   A score at or above the threshold confirms; far below it, the candidate is
   rejected at once. That is most candidates, for one tiny.en pass.
2. **Second opinions** (:class:`Opinion`), only for windows tiny.en scores inside
   the *unsure band* (``band`` nats below the threshold): the couple's enrolled
   voices (:class:`~pi_pause.ear.voiceprint.EnrolledOpinion`), when anyone is
   enrolled for the phrase. Each returns a score in nats (0 = sure, negative =
   doubtful) or None to abstain (not one of their voices saying the phrase).
3. **Whisper base**, for an unsure window no opinion spoke on. It hears better in
   babble and TV (see docs/spotter.md), but costs about four times as much, so it
   is asked only there; for an enrolled voice the opinion is both better and cheaper
   (docs/spotter.md, "Enrolled voices").

The scores are *fused*, not OR-ed: the window's score becomes a weighted mean of
tiny.en's and the others', so a near-miss tiny.en doubts ("let's take a bus") stays
out unless the other opinion is sure enough to outweigh it.

Privacy: numbers only, like the verifier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

# Measured on the tune split's candidates (docs/spotter.md, "The decision in noise").
BAND_NATS = 6.0  # tiny.en scores in [threshold - band, threshold) ask base
BASE_WEIGHT = 0.5  # the fused score: (1 - w) * tiny + w * base
TINY_PAD_SECONDS = 3.0  # features padded with silence to 3 s: recall as at 10 s on the tune split, a third of the CPU
BASE_PAD_SECONDS = 3.0  # tune split: every band and weight kept the same phrases as at 10 s, at 59 ms a window, not 175


class Judge(Protocol):
    """A Whisper model teacher-forcing the phrase (:class:`~pi_pause.ear.verifier.WhisperVerifier`)."""

    threshold: float

    def score(self, windows: list[np.ndarray], phrase: str) -> float: ...

    def prepare(self, phrases: tuple[str, ...]) -> None: ...


class Opinion(Protocol):
    """Another opinion on a window tiny.en is unsure about (for example, enrollment)."""

    weight: float  # its share in the fused score

    def score(self, windows: list[np.ndarray], phrase: str) -> float | None:
        """A score in nats (0 = certainly the phrase), or None to abstain."""


@dataclass(frozen=True)
class Cascade:
    """How the cascade asks and fuses (see the module docs)."""

    band: float = BAND_NATS
    base_weight: float = BASE_WEIGHT


class CascadeDecision:
    """Tiny.en first; base and any second opinions only inside the unsure band, their scores fused."""

    def __init__(self, first: Judge, second: Judge | None = None, cascade: Cascade = Cascade(),
                 opinions: tuple[Opinion, ...] = ()):
        self.first = first
        self.second = second
        self.cascade = cascade
        self.opinions = tuple(opinions)
        self.threshold = first.threshold
        self.asked = 0  # windows that needed the second model, for benchmarks

    def prepare(self, phrases: tuple[str, ...]) -> None:
        """Make each model's token ids for ``phrases`` now, not at the first candidate."""
        for judge in (self.first, self.second):
            if judge is not None:
                judge.prepare(phrases)

    def unsure(self, score: float) -> bool:
        return self.threshold - self.cascade.band <= score < self.threshold

    def score(self, windows: list[np.ndarray], phrase: str) -> float:
        first = self.first.score(windows, phrase)
        if not self.unsure(first) or (self.second is None and not self.opinions):
            return first
        self.asked += 1
        said = [(o.weight, s) for o in self.opinions if (s := o.score(windows, phrase)) is not None]
        if not said and self.second is not None:
            said = [(self.cascade.base_weight, self.second.score(windows, phrase))]
        weights = sum(w for w, _ in said)
        if weights == 0.0:
            return first
        total = sum(w * s for w, s in said)
        if weights >= 1.0:  # the other opinions outweigh tiny.en: their own mean
            return total / weights
        return (1.0 - weights) * first + total

    def close(self) -> None:
        """Free what the opinions hold (the enrolled voices' embedding models)."""
        for opinion in self.opinions:
            close = getattr(opinion, "close", None)  # Opinion's contract does not require one
            if close is not None:
                close()


def open_decision(sensitivity: float, cache: Path | None,
                  opinions: tuple[Opinion, ...] = ()) -> CascadeDecision:
    """Tiny.en (checked, required) and, when its packages are intact, Whisper base joined under ``cache``,
    with ``opinions`` beside them (the enrolled voices).

    Without base the decision is tiny.en's alone (logged once: recall in babble and TV is lower)."""
    from pi_pause.ear import verifier, whisper_base

    first = verifier.WhisperVerifier.load(verifier.threshold_for(sensitivity), pad_seconds=TINY_PAD_SECONDS)
    problem = "no cache folder to join it in" if cache is None else whisper_base.model_problem(cache)
    if problem is not None:
        log.warning("deciding with Whisper tiny.en alone: %s", problem)
        return CascadeDecision(first, opinions=opinions)
    second = verifier.WhisperVerifier(whisper_base.install(cache), first.threshold, BASE_PAD_SECONDS,
                                      files=whisper_base.JOINED_FILES, prompt=whisper_base.PROMPT,
                                      fix=whisper_base.REINSTALL)
    return CascadeDecision(first, second, opinions=opinions)
