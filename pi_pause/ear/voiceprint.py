"""The couple's own voices saying their phrase, as numbers: a second opinion for the decision.

Enrollment (``pi-pause phrase enroll``) hands :func:`adapt` a few takes of one person
saying the phrase; it returns a dict of arrays (derived features only: never audio,
never text), which :mod:`pi_pause.ear.enrollment` keeps in the state folder. At
listening time :class:`EnrolledOpinion` turns every enrolled person's arrays into one
:class:`~pi_pause.ear.decision.Opinion`: "does this window sound like one of them
saying the phrase?", in nats like Whisper's score (0 = surely, more negative = less).

    numbers = adapt(takes, "let's take a pause")      # takes: float32 arrays, 16 kHz mono
    opinion = EnrolledOpinion([numbers_sam, numbers_alex])
    opinion.score([window], "let's take a pause")     # e.g. -0.4, or None to abstain
"""

from __future__ import annotations

import numpy as np

from pi_pause.ear import phrase_model
from pi_pause.ear.speech_embedding import SpeechFrontEnd

RATE = 16_000
FORMAT = 1  # of the arrays adapt() returns; a stored enrollment of another format is made again
LEAD_SECONDS = 1.0  # silence before a take, so the embedding window can see the whole phrase
TAIL_SECONDS = 0.25  # where the window that "just heard the phrase" ends, after the take's end
WEIGHT = 0.5  # the opinion's share in the fused score


def _int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(audio, np.float32) * 32767.0, -32768, 32767).astype(np.int16)


def _phrase_windows(front: SpeechFrontEnd, take: np.ndarray) -> np.ndarray:
    """The phrase-model windows of one take that end just after it (flattened, float32)."""
    lead, tail = np.zeros(int(LEAD_SECONDS * RATE), np.float32), np.zeros(int(TAIL_SECONDS * RATE), np.float32)
    audio = _int16(np.concatenate([lead, take, tail]))
    return phrase_model.windows_of(front.embed(audio))[-2:].astype(np.float32)


def adapt(takes: list[np.ndarray], phrase: str, *, front: SpeechFrontEnd | None = None,
          log=lambda msg: None) -> dict[str, np.ndarray]:
    """One person's enrollment: the numbers :class:`EnrolledOpinion` needs, from ``takes``
    (float32 mono 16 kHz, each one saying ``phrase``, trimmed or not)."""
    own = front is None
    front = front or SpeechFrontEnd()
    try:
        templates = np.concatenate([_phrase_windows(front, t) for t in takes])
    finally:
        if own:
            front.close()
    log(f"{len(templates)} templates from {len(takes)} takes")
    return {"format": np.array(FORMAT), "templates": templates.astype(np.float16)}


class EnrolledOpinion:
    """:class:`~pi_pause.ear.decision.Opinion` from every enrolled person's numbers."""

    weight = WEIGHT

    def __init__(self, people: list[dict[str, np.ndarray]], front: SpeechFrontEnd | None = None):
        self._templates = [p["templates"].astype(np.float32) for p in people]
        self._own = front is None
        self._front = front or SpeechFrontEnd()

    def score(self, windows: list[np.ndarray], phrase: str) -> float | None:
        if not self._templates:
            return None
        best = -np.inf
        for window in windows:
            x = phrase_model.windows_of(self._front.embed(_int16(window)))[-3:]
            if not len(x):
                continue
            for t in self._templates:
                d = np.linalg.norm(x[:, None, :] - t[None, :, :], axis=2) / np.sqrt(x.shape[1])
                best = max(best, -float(d.min()) * 10.0)
        return None if best == -np.inf else best

    def close(self) -> None:
        if self._own:
            self._front.close()
