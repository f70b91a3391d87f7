"""PocketSphinx engine: keyword spotting, then a check against competing words.

How it decides, in two stages:

1. **Spotting.** A PocketSphinx keyword-spotting (KWS) search listens for every
   pronunciation variant of every phrase (see :mod:`pi_pause.ear.pronounce`). Its
   threshold comes from ``[listen] sensitivity``. KWS alone is permissive: most of
   the score of "let's take a bus" comes from "let's take a", so it fires on
   near misses too. The default search beams (1e-48) would silently cap how low a
   threshold can reach, so the beams are opened up below the threshold.
2. **Verification.** When KWS fires, the engine waits until the phrase has
   surely ended (KWS often fires during the last word), then decodes the spotted
   stretch of audio once more with a small finite-state grammar: the phrase words
   (all their variants), with the last word competing against common words that
   sound alike ("pass", "peace", "buzz", "loss" for "pause"); a short filler word
   may come before and after. Only when the best path through that grammar is the
   phrase itself does the engine report it. This costs about 0.1 s of CPU per
   candidate, and only when KWS fires.

Nothing the decoder hears leaves this module except the configured phrase.
"""

from __future__ import annotations

import logging

import numpy as np

from pi_pause.ear import pronounce
from pi_pause.ear.engine import Finding

log = logging.getLogger(__name__)

RATE = 16_000
FRAME_RATE = 100  # PocketSphinx frames per second
HISTORY_SECONDS = 6.0  # audio kept for the verification window
LEAD_SECONDS = 0.3  # audio kept before the spotted start, for the grammar's fillers
# The check waits for audio past the spotted phrase: at least POST after the end KWS
# saw, and WAIT after KWS fired (it often fires while the last word is still going).
POST_SECONDS = 0.2
WAIT_SECONDS = 0.3
REFRACTORY_SECONDS = 1.0  # one utterance of the phrase fires once
SHORT_PLAIN = "A short phrase can start a pause by mistake: four or more syllables are safer."


def check(phrases: tuple[str, ...]) -> list[Finding]:
    """Every phrase word must be in the PocketSphinx dictionary; short phrases are flagged."""
    lexicon = pronounce.lexicon()
    findings = []
    for phrase in phrases:
        missing = [w for w in phrase.split() if w not in lexicon]
        if missing:
            word = missing[0]
            hint = pronounce.suggest(word, lexicon)
            tip = (f"try {' or '.join(repr(h) for h in hint)}, or pick another phrase" if hint
                   else "pick everyday words")
            findings.append(Finding("pocketsphinx", False,
                                    f"phrase word {word!r} (in {phrase!r}) is not in the PocketSphinx "
                                    f"dictionary; {tip}",
                                    f"It cannot hear {word!r}: pick everyday words."))
            continue
        syllables = pronounce.syllables(phrase, lexicon)
        if syllables < 4:
            findings.append(Finding("pocketsphinx", True,
                                    f"phrase {phrase!r} has only {syllables} syllable(s); short phrases "
                                    "false-trigger often, four or more are safer", SHORT_PLAIN))
        else:
            findings.append(Finding("pocketsphinx", True, ""))
    return findings


def _kws_threshold(sensitivity: float) -> float:
    # 0 -> 1e-15 (strict) ... 0.5 -> 1e-45 ... 1 -> 1e-75 (permissive)
    return 10.0 ** -(15 + 60 * sensitivity)


def _competitor_weight(sensitivity: float) -> float:
    # Prior of the competing words against the phrase word: 0 -> 1 ... 0.5 -> 1e-3 ... 1 -> 1e-6
    return 10.0 ** (-6.0 * sensitivity)


class SphinxEngine:
    """PocketSphinx keyword spotting with a competing-words check (see the module docs)."""

    name = "pocketsphinx"

    def __init__(self, phrases: tuple[str, ...], sensitivity: float = 0.5):
        import pocketsphinx

        self._ps = pocketsphinx
        lexicon = pronounce.lexicon()
        self._plans = [pronounce.plan(p, lexicon) for p in phrases]
        del lexicon
        pronounce.forget()  # before the decoders load, so the peak memory stays low
        threshold = _kws_threshold(sensitivity)
        beam = min(threshold * 1e-20, 1e-60)
        self._kws = self._decoder(beam=beam, wbeam=beam, pbeam=beam)
        self._keyphrase = pronounce.keyword_search(self._kws, self._plans, threshold)
        # Wide beams: the check runs only on candidates, and narrow ones lose noisy phrases.
        self._check = self._decoder(beam=1e-60, wbeam=1e-50, pbeam=1e-60)
        weight = _competitor_weight(sensitivity)
        for i, plan in enumerate(self._plans):
            start, final, arcs = plan.grammar(weight)
            fsg = self._check.create_fsg(f"check{i}", start, final, arcs)
            self._check.add_fsg(f"check{i}", fsg)
        self._history = np.zeros(0, dtype=np.int16)
        self._consumed = 0  # samples fed since the last reset
        self._utt_start = 0  # sample at which the current KWS utterance began
        self._quiet_until = 0
        self._pending = None  # ((index, plan), start sample, verify at sample)
        self._initial_cmn = self._kws.get_cmn()  # live mean normalisation learns from audio
        self._kws.start_utt()

    def _decoder(self, **beams):
        config = self._ps.Config(lm=None, loglevel="FATAL", **beams)
        decoder = self._ps.Decoder(config)
        for word, phones in pronounce.extra_words(self._plans):
            decoder.add_word(word, phones, False)
        return decoder

    def feed(self, frame: np.ndarray) -> str | None:
        frame = np.asarray(frame, dtype=np.int16)
        self._consumed += len(frame)
        self._history = np.concatenate([self._history, frame])[-int(HISTORY_SECONDS * RATE):]
        self._kws.process_raw(frame.tobytes(), False, False)
        hyp = self._kws.hyp()
        if hyp is not None:
            spotted = self._spotted(hyp.hypstr)
            start, end = self._spot_span()
            self._restart_kws()
            if spotted is not None and self._pending is None and self._consumed >= self._quiet_until:
                # KWS often fires before the last word is complete: wait for its end,
                # so the check hears "pause" and not just "pa-".
                due = max(self._consumed + int(WAIT_SECONDS * RATE), end + int(POST_SECONDS * RATE))
                self._pending = (spotted, start, due)
        if self._pending is None or self._consumed < self._pending[2]:
            return None
        (index, plan), start, _ = self._pending
        self._pending = None
        if not self._verified(index, plan, start):
            log.debug("candidate rejected by the competing-words check")
            return None
        self._quiet_until = self._consumed + int(REFRACTORY_SECONDS * RATE)
        return plan.phrase

    def _spotted(self, hypstr: str):
        # KWS may report several variants at once ("a  b "); any one names the phrase.
        for spelling in (s.strip() for s in hypstr.split("  ")):
            phrase = self._keyphrase.get(spelling)
            if phrase is not None:
                for i, plan in enumerate(self._plans):
                    if plan.phrase == phrase:
                        return i, plan
        return None

    def _spot_span(self) -> tuple[int, int]:
        """Absolute samples where the spotted keyphrase began and ended."""
        segs = list(self._kws.seg())
        first = min((seg.start_frame for seg in segs), default=0)
        last = max((seg.end_frame for seg in segs), default=0)
        to_samples = RATE // FRAME_RATE
        return self._utt_start + first * to_samples, self._utt_start + (last + 1) * to_samples

    def _restart_kws(self) -> None:
        self._kws.end_utt()
        self._kws.start_utt()
        self._utt_start = self._consumed

    def _verified(self, index: int, plan, start: int) -> bool:
        begin = max(start - int(LEAD_SECONDS * RATE), self._consumed - len(self._history))
        window = self._history[begin - (self._consumed - len(self._history)):]
        self._check.activate_search(f"check{index}")
        self._check.start_utt()
        self._check.process_raw(window.tobytes(), False, True)
        self._check.end_utt()
        hyp = self._check.hyp()
        return hyp is not None and plan.matches(hyp.hypstr.split())

    def reset(self) -> None:
        self._kws.end_utt()
        self._kws.set_cmn(self._initial_cmn)
        self._history = np.zeros(0, dtype=np.int16)
        self._consumed = self._utt_start = self._quiet_until = 0
        self._pending = None
        self._kws.start_utt()

    def close(self) -> None:
        try:
            self._kws.end_utt()
        except RuntimeError:
            pass
