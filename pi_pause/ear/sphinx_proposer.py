"""PocketSphinx keyword spotting as a lenient first stage: candidates with an estimated end.

The same keyphrases as :mod:`pi_pause.ear.sphinx_engine` (every pronunciation
variant of every phrase word, from :mod:`pi_pause.ear.pronounce`), at a far lower
threshold. Alone, it would fire on "let's take a bus" and "let's have pasta";
that is fine here, because the Whisper verifier judges every candidate. What
matters is that it misses almost no real phrase: PocketSphinx's default search
beams (1e-48) silently cap how permissive a threshold can be, so the beams are
opened to the threshold itself (measured: recall of candidates 0.75 -> 0.94 in
the prototype of issue 10, at the same CPU).

Each candidate is dated when KWS fired, in samples since the last reset. (Where
KWS's own segmentation puts the last word's end was measured too: it is earlier
than the true end by a median 0.46 s, so the firing moment is the better anchor.)
"""

from __future__ import annotations


import numpy as np

from pi_pause.ear import pronounce
from pi_pause.ear.candidates import Candidate

DEFAULT_THRESHOLD = 1e-80


class SphinxProposer:
    """Permissive PocketSphinx keyword spotting (see the module docs)."""

    name = "pocketsphinx"

    def __init__(self, phrases: tuple[str, ...], threshold: float = DEFAULT_THRESHOLD):
        import pocketsphinx

        lexicon = pronounce.lexicon()
        plans = [pronounce.plan(p, lexicon, rivals=False) for p in phrases]  # the verifier judges
        del lexicon
        pronounce.forget()  # before the decoder loads, so the peak memory stays low
        config = pocketsphinx.Config(lm=None, loglevel="FATAL", beam=threshold, wbeam=threshold,
                                     pbeam=threshold)
        self._kws = pocketsphinx.Decoder(config)
        for word, phones in pronounce.extra_words(plans):
            self._kws.add_word(word, phones, False)
        self._keyphrase = pronounce.keyword_search(self._kws, plans, threshold)
        self._initial_cmn = self._kws.get_cmn()  # live mean normalisation learns from audio
        self._consumed = 0
        self._kws.start_utt()

    def feed(self, frame: np.ndarray) -> list[Candidate]:
        frame = np.asarray(frame, dtype=np.int16)
        self._consumed += len(frame)
        self._kws.process_raw(frame.tobytes(), False, False)
        hyp = self._kws.hyp()
        if hyp is None:
            return []
        phrases = {self._keyphrase.get(s.strip()) for s in hyp.hypstr.split("  ")} - {None}
        self._kws.end_utt()
        self._kws.start_utt()
        return [Candidate(p, self._consumed) for p in sorted(phrases)]

    def reset(self) -> None:
        self._kws.end_utt()
        self._kws.set_cmn(self._initial_cmn)
        self._consumed = 0
        self._kws.start_utt()

    def close(self) -> None:
        try:
            self._kws.end_utt()
        except RuntimeError:
            pass
