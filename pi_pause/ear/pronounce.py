"""Pronunciations for the PocketSphinx engine: variants, competitors, grammars.

PocketSphinx hears words through its pronouncing dictionary (CMUdict, shipped in
the wheel). Two things about real voices matter for a phrase spotter:

- People (and synthetic voices) do not say every word the dictionary's way: many
  American speakers merge the vowels of "caught" and "cot" (so "pause" comes out
  P AA Z), and a word-final /z/ is often devoiced (P AO S). :func:`variants` adds
  those pronunciations, so the spotter does not miss them.
- The strongest false triggers are near misses: "let's take a bus" shares three
  words of four with the phrase. :func:`competitors` finds common dictionary words
  that sound close to the phrase's last word (a phone edit distance in which P~B,
  S~Z and vowel~vowel are cheap); the verification grammar lets them compete with
  it, so the phrase only wins when it really is the best explanation.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Short words that may come just before or after the phrase in the checked window.
FILLER_WORDS = ("a", "i", "you", "we", "it", "the", "to", "and", "so", "now", "okay", "oh")

VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY",
          "UH", "UW"}
PHONES = sorted(VOWELS | {"B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N",
                          "NG", "P", "R", "S", "SH", "T", "TH", "V", "W", "Y", "Z", "ZH"})
_PAIRS = [("P", "B"), ("T", "D"), ("K", "G"), ("F", "V"), ("S", "Z"), ("SH", "ZH"),
          ("CH", "JH"), ("TH", "DH"), ("M", "N"), ("N", "NG"), ("S", "SH"), ("Z", "ZH")]
MAX_KEYPHRASES = 24  # per phrase: each is a KWS search of its own, so CPU grows with them
MAX_COMPETITORS = 30  # more: fewer false triggers, but also fewer detections
MAX_SAME_SHAPE = 25  # competitors that begin and end like the last word
COMPETITOR_DISTANCE = 1.6  # e.g. pause~bus: P/B 0.5 + AO/AH 0.6 + Z/S 0.5
# Closer than this (one vowel or one voicing swap) is too close to tell apart
# reliably: such a word would reject the phrase as often as it catches a near miss.
MIN_COMPETITOR_DISTANCE = 1.05
# Competitors must be words people actually say (unigram log10 probability in the
# model's own language model): rare names like "tae" or "teo" only steal the slot.
MIN_LOG10_FREQUENCY = -5.5


def dictionary_path() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, list[tuple[str, ...]]]:
    """Every dictionary word with its pronunciations (the first is the usual one)."""
    words: dict[str, list[tuple[str, ...]]] = {}
    with open(dictionary_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = parts[0].split("(")[0]
            # Interned phones: one string object per phone, not one per use (~35 MB less).
            words.setdefault(word, []).append(tuple(map(sys.intern, parts[1:])))
    return words


def suggest(word: str, lexicon: dict) -> list[str]:
    """Dictionary words spelled like ``word``, for an error message."""
    pool = [w for w in lexicon if w[:1] == word[:1] and abs(len(w) - len(word)) <= 2]
    close = difflib.get_close_matches(word, pool, n=8, cutoff=0.7)
    return sorted(close, key=log10_frequency, reverse=True)[:3]  # common words first


def syllables(phrase: str, lexicon: dict) -> int:
    return sum(sum(p in VOWELS for p in lexicon[w][0]) for w in phrase.split())


def variants(pron: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Common alternative pronunciations of one dictionary pronunciation."""
    found = {pron}
    swaps = {"AO": "AA", "AA": "AO"}  # the caught/cot merger, both ways
    for p in list(found):
        found.add(tuple(swaps.get(ph, ph) for ph in p))
    devoice = {"Z": "S", "V": "F", "ZH": "SH", "DH": "TH"}
    for p in list(found):
        if p[-1] in devoice:
            found.add(p[:-1] + (devoice[p[-1]],))
    return [pron] + sorted(found - {pron})


def _substitution_costs() -> np.ndarray:
    n = len(PHONES)
    cost = np.ones((n, n), dtype=np.float32)
    index = {p: i for i, p in enumerate(PHONES)}
    for a in VOWELS:
        for b in VOWELS:
            cost[index[a], index[b]] = 0.6
    for a, b in _PAIRS:
        cost[index[a], index[b]] = cost[index[b], index[a]] = 0.5
    np.fill_diagonal(cost, 0.0)
    return cost


@functools.lru_cache(maxsize=1)
def _table():
    """All dictionary pronunciations as a padded phone-id matrix, for vectorised distances."""
    index = {p: i for i, p in enumerate(PHONES)}
    words, prons = [], []
    for word, ps in lexicon().items():
        if not word.replace("'", "").isalpha():
            continue
        for p in ps:
            if len(p) <= 10 and all(ph in index for ph in p):
                words.append(word)
                prons.append([index[ph] for ph in p])
    width = max(map(len, prons))
    ids = np.zeros((len(prons), width), dtype=np.int16)
    lengths = np.array([len(p) for p in prons])
    for i, p in enumerate(prons):
        ids[i, :len(p)] = p
    return words, ids, lengths, _substitution_costs()


def _distances(pron: tuple[str, ...]) -> np.ndarray:
    """Weighted phone edit distance from ``pron`` to every dictionary pronunciation."""
    words, ids, lengths, sub = _table()
    index = {p: i for i, p in enumerate(PHONES)}
    width = ids.shape[1]
    prev = np.tile(np.arange(width + 1, dtype=np.float32), (len(ids), 1))
    for i, ph in enumerate(pron, start=1):
        row = np.empty_like(prev)
        row[:, 0] = i
        costs = sub[index[ph]][ids]
        for j in range(1, width + 1):
            row[:, j] = np.minimum(np.minimum(prev[:, j] + 1, row[:, j - 1] + 1),
                                   prev[:, j - 1] + costs[:, j - 1])
        prev = row
    return prev[np.arange(len(ids)), lengths]


@functools.lru_cache(maxsize=1)
def _language_model():
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"
    logmath = pocketsphinx.LogMath()
    return pocketsphinx.NGramModel(pocketsphinx.Config(), logmath, str(path)), logmath


def log10_frequency(word: str) -> float:
    """How common ``word`` is: its unigram log10 probability in the bundled language model."""
    lm, logmath = _language_model()
    return lm.prob([word]) * np.log10(1.0001)  # PocketSphinx logs are base 1.0001


def competitors(word: str, prons: list[tuple[str, ...]]) -> list[str]:
    """Common dictionary words that sound close to (but not the same as) ``word``."""
    words, *_ = _table()
    best: dict[str, float] = {}
    homophones = {word}
    for pron in prons:
        dist = _distances(pron)
        for i in np.flatnonzero(dist <= COMPETITOR_DISTANCE):
            if dist[i] < MIN_COMPETITOR_DISTANCE:
                homophones.add(words[i])
            else:
                best[words[i]] = min(best.get(words[i], 99.0), float(dist[i]))
    ranked = sorted((d, -f, w) for w, d in best.items()
                    if w not in homophones and (f := log10_frequency(w)) >= MIN_LOG10_FREQUENCY)
    near = [w for _, _, w in ranked[:MAX_COMPETITORS]]
    return near + [w for w in same_shape(prons, homophones) if w not in near]


def _alike(a: str, b: str) -> bool:
    return a == b or (a, b) in _PAIRS or (b, a) in _PAIRS


def same_shape(prons: list[tuple[str, ...]], exclude: set[str]) -> list[str]:
    """Common words with the same syllable count, onset and final sound (up to voicing).

    Keyword spotting fires as soon as the last word *starts* to match, so the near
    misses that reach the check begin like it ("bus", "boss", "place" for "pause"),
    even when they are too far apart in the edit distance to count as neighbours.
    """
    found: dict[str, float] = {}
    lex = lexicon()
    for word, word_prons in lex.items():
        if word in exclude or not word.replace("'", "").isalpha():
            continue
        for q in word_prons:
            if any(_alike(p[0], q[0]) and _alike(p[-1], q[-1])
                   and sum(x in VOWELS for x in p) == sum(x in VOWELS for x in q) for p in prons):
                found[word] = log10_frequency(word)
                break
    common = sorted(((-f, w) for w, f in found.items() if f >= MIN_LOG10_FREQUENCY))
    return [w for _, w in common[:MAX_SAME_SHAPE]]


@dataclass(frozen=True)
class Plan:
    """How one phrase is spotted: its word slots, spellings and competitors."""

    phrase: str
    slots: tuple[tuple[str, ...], ...]  # per word: the dictionary spellings of its variants
    rivals: tuple[str, ...]  # words competing with the last phrase word
    extra: tuple[tuple[str, str], ...]  # (spelling, phones) to add to the decoder dictionary

    def keyphrases(self) -> list[str]:
        combos = itertools.islice(itertools.product(*self.slots), MAX_KEYPHRASES)
        return [" ".join(c) for c in combos]

    def grammar(self, weight: float, filler: float = 0.05):
        """(start, final, arcs) of the verification grammar for ``create_fsg``.

        An optional common word may come first (state 0 -> 1) and last
        (n+1 -> n+2); states 1..n+1 chain the n word slots, each holding the
        spellings of the phrase word. The last slot also holds the competitors,
        sharing prior ``weight`` against the phrase word's 1. (Loops of filler
        words or phones would be more general but cost seconds per check.)
        """
        n = len(self.slots)
        fillers = [w for w in FILLER_WORDS if w in lexicon()]
        arcs = []
        for src in (0, n + 1):
            arcs.append((src, src + 1, 1.0))
            arcs += [(src, src + 1, filler / len(fillers), w) for w in fillers]
        for i, spellings in enumerate(self.slots, start=1):
            arcs += [(i, i + 1, 1.0 / len(spellings), s) for s in spellings]
        arcs += [(n, n + 1, weight / len(self.rivals), r) for r in self.rivals]
        return 0, n + 2, arcs

    def matches(self, words: list[str]) -> bool:
        """True when the decoded ``words`` contain the phrase, in order, back to back."""
        base = [w.split("__")[0].split("(")[0] for w in words]
        target = self.phrase.split()
        return any(base[i:i + len(target)] == target for i in range(len(base) - len(target) + 1))


def plan(phrase: str, lex: dict, rivals: bool = True) -> Plan:
    """Spellings of every phrase word's variants, and competitors for its last word
    (unless ``rivals`` is False: keyword spotting alone needs none, and finding them
    costs seconds).

    Competitors go on the last word only: keyword spotting adds up evidence
    word by word and fires as soon as the last word starts to match, so a near
    miss that KWS lets through nearly always shares the beginning and differs at
    the end ("let's take a bus", "take a pass"). Competitors on the other words
    mostly steal short function words ("take" heard as "date") and cost recall.
    """
    slots, extra = [], []
    for word in phrase.split():
        prons = []
        for p in lex[word]:
            for v in variants(p):
                if v not in prons:
                    prons.append(v)
        spellings = [word]
        for k, p in enumerate(prons[1:], start=1):
            spellings.append(f"{word}__{k}")
            extra.append((f"{word}__{k}", " ".join(p)))
        slots.append(tuple(spellings))
    last = phrase.split()[-1]
    near = tuple(competitors(last, lex[last])) if rivals else ()
    return Plan(phrase, tuple(slots), near, tuple(extra))


def forget() -> None:
    """Drop the dictionary, distance table and language model (~75 MB) once plans are made."""
    lexicon.cache_clear()
    _table.cache_clear()
    _language_model.cache_clear()


def extra_words(plans: list[Plan]) -> list[tuple[str, str]]:
    """Every variant spelling to add to a decoder, once: a word repeated in a phrase ("pause
    the pause") or shared by two phrases has the same variants, and PocketSphinx refuses
    to add a word twice."""
    return list(dict.fromkeys(e for p in plans for e in p.extra))


def keyword_search(decoder, plans, threshold: float) -> dict[str, str]:
    """Give ``decoder`` a keyword-spotting search, "phrases", for every spelling of every
    plan at ``threshold``, and make it the active one; returns spelling -> phrase."""
    keyphrase, lines = {}, []
    for plan in plans:
        for spelling in plan.keyphrases():
            keyphrase[spelling] = plan.phrase
            lines.append(f"{spelling} /{threshold:.3g}/")
    with tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        decoder.add_kws("phrases", f.name)
    finally:
        os.unlink(f.name)
    decoder.activate_search("phrases")
    return keyphrase
