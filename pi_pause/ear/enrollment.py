"""The couple's enrolled voices: judging each take, and keeping only numbers.

Enrollment (``pi-pause phrase enroll --speaker NAME``, the settings page through the
service) asks each person for a few takes of their phrase. Each take is judged by
:func:`judge_take` (loud enough, not clipped, the length of a phrase, and the Whisper
verifier hears the phrase in it); the good ones are handed to
:func:`pi_pause.ear.voiceprint.adapt`, and what it returns is kept by :func:`save`.

What is kept, one ``.npz`` per person in ``<state folder>/enrolled/`` (folder 0700,
files 0600, written atomically): the arrays from ``adapt`` (derived features), their
format, the name the couple chose, the number of takes, and the sha256 of the phrase
as the ear hears it. Never audio, never the phrase's text, never a transcript: the
takes live in memory only and are dropped once adapted::

    verdict = judge_take(take, ("let's take a pause",), judge)   # TakeVerdict(ok=True, ...)
    save(settings, "Sam", voiceprint.adapt([...good takes...], phrase), takes=5, phrase=phrase)
    load(settings).people                                        # (Person(name='Sam', ...),)
    forget(settings, "Sam")
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pi_pause import config, dirs, phrase_text, wav
from pi_pause.errors import UserError

log = logging.getLogger(__name__)

RATE = 16_000
FOLDER = "enrolled"
MAX_PEOPLE = 2  # the couple
MAX_NAME = 20
DEFAULT_TAKES = 5
MIN_TAKES = 3

# What a take must be. Measured on the bundled Piper voice: its phrase is 1.1-1.6 s with
# speech frames around -15 dBFS; a USB microphone at arm's length gives -30 to -15 dBFS.
FRAME_SECONDS = 0.02
SPEECH_FLOOR_DBFS = -40.0  # a take's speech (the 75th percentile of its 20 ms frames) must reach this
FULL_SCALE = 0.999  # a sample at or beyond this is clipped
CLIPPED_FRACTION = 0.002  # more clipped samples than this (0.2 %) spoil a take
SPEECH_BELOW_PEAK_DB = 35.0  # frames within this of the loudest count as the take's speech
MIN_SPEECH_SECONDS = 0.4
MAX_SPEECH_SECONDS = 4.0  # six words at a normal pace (phrase_text.MAX_WORDS) fit in 2.5 s
MAX_TAKE_SECONDS = 15.0  # a whole recording handed in
MARGIN_SECONDS = 0.15  # kept around the speech when a take is trimmed
VERIFIER_PAD_SECONDS = 0.3  # silence around a take as the verifier hears it


class EnrollmentError(UserError):
    """An enrollment that cannot be made or used; the message says what to do, ``plain``
    the same in a couple's words (the settings page)."""

    def __init__(self, message: str, plain: str = "") -> None:
        super().__init__(message)
        self.plain = plain or "That did not work: try again."


# -- the names --------------------------------------------------------------------

def check_name(name: str) -> str:
    """The name as kept (spaces tidied), or :class:`EnrollmentError` saying what is allowed."""
    tidy = " ".join(unicodedata.normalize("NFC", str(name)).split())
    allowed = all(c.isalpha() or c in " -'" for c in tidy)
    if not tidy or len(tidy) > MAX_NAME or not allowed or not any(c.isalpha() for c in tidy):
        raise EnrollmentError(f"name {str(name)[:30]!r} cannot be used: give 1-{MAX_NAME} letters "
                              "(spaces, hyphens and apostrophes allowed), e.g. --speaker Sam",
                              f"A name is 1 to {MAX_NAME} letters, like Sam: type it again.")
    return tidy


def _key(name: str) -> str:
    """The file name's stem: "Mary Ann", "mary-ann" and "MARY ANN" are one person."""
    return "-".join("".join(c if c.isalpha() else " " for c in name.casefold()).split())


def phrase_digest(phrase: str) -> str:
    """sha256 of the phrase as the ear hears it (its text is never kept)."""
    return hashlib.sha256(phrase_text.normalise(phrase).encode()).hexdigest()


# -- the store --------------------------------------------------------------------

def folder(settings: config.Settings, for_writing: bool = False) -> Path:
    """``enrolled/`` in the state folder. To read, a state folder that cannot be written
    will do; only ``for_writing`` insists on a writable one (as phrase models do)."""
    try:
        return dirs.state_dir(settings) / FOLDER
    except config.ConfigError:
        if for_writing:
            raise
        return settings.resolve(settings.paths.state_dir) / FOLDER


@dataclass(frozen=True)
class Person:
    """One enrolled person, as kept."""

    name: str
    takes: int
    phrase_sha256: str
    format: int
    path: Path
    numbers: dict = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class Enrolled:
    """Everyone kept, sorted by whether they can be used for the phrases in force."""

    people: tuple[Person, ...] = ()
    """Enrolled for one of the phrases, in the current format: these are listened for."""
    other_phrase: tuple[Person, ...] = ()
    """Enrolled for a phrase no longer configured (enroll again, or change the phrase back)."""
    stale: tuple[Person, ...] = ()
    """Made by an older pi-pause: enroll again."""
    damaged: tuple[str, ...] = ()
    """Files that cannot be read (their file names)."""

    @property
    def everyone(self) -> tuple[Person, ...]:
        return self.people + self.other_phrase + self.stale

    def summary(self) -> str:
        """One line for doctor, ``phrase check``, the log: who is listened for, and who is not."""
        if self.people:
            line = "enrolled voices: " + ", ".join(f"{p.name} ({p.takes} takes)" for p in self.people)
        else:
            line = "enrolled voices: none (pi-pause phrase enroll --speaker NAME teaches it yours)"
        if self.other_phrase:
            line += ("; not used, enrolled for another phrase: "
                     + ", ".join(p.name for p in self.other_phrase) + " (enroll again)")
        if self.stale:
            line += ("; not used, made by an older version: "
                     + ", ".join(p.name for p in self.stale) + " (enroll again)")
        if self.damaged:
            line += "; unreadable: " + ", ".join(self.damaged) + " (pi-pause phrase forget, then enroll)"
        return line

    def as_json(self) -> list[dict]:
        """For the settings page: names and counts, never numbers."""
        return [{"name": p.name, "takes": p.takes, "used": p in self.people,
                 "why_not": "" if p in self.people else
                 ("another phrase" if p in self.other_phrase else "an older version")}
                for p in self.everyone]


def _read(path: Path) -> Person:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = {k: arrays.pop(k) for k in ("meta_name", "meta_takes", "meta_phrase_sha256", "meta_format")}
    numbers = {k.removeprefix("adapted_"): v for k, v in arrays.items()}
    return Person(str(meta["meta_name"]), int(meta["meta_takes"]), str(meta["meta_phrase_sha256"]),
                  int(meta["meta_format"]), path, numbers)


def load(settings: config.Settings, phrases: tuple[str, ...] | None = None) -> Enrolled:
    """Everyone enrolled, sorted against ``phrases`` (default: the configured ones)."""
    from pi_pause.ear import voiceprint

    wanted = set()
    for phrase in phrases or settings.listen.phrases:
        try:
            wanted.add(phrase_digest(phrase))
        except phrase_text.PhraseTextError:
            continue  # a phrase the ear refuses: nobody can be enrolled for it
    place = folder(settings)
    people, other, stale, damaged = [], [], [], []
    for path in sorted(place.glob("*.npz")) if place.is_dir() else ():
        try:
            person = _read(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("enrolled voice %s cannot be read (%s)", path.name, type(exc).__name__)
            damaged.append(path.name)
            continue
        if person.format != voiceprint.FORMAT:
            stale.append(person)
        elif person.phrase_sha256 not in wanted:
            other.append(person)
        else:
            people.append(person)
    return Enrolled(tuple(people), tuple(other), tuple(stale), tuple(damaged))


def check_room(settings: config.Settings, name: str) -> str:
    """``name`` checked, and room for them: they are enrolled already (and will be replaced)
    or fewer than two people are. Returns the name as kept."""
    name = check_name(name)
    others = [p.name for p in load(settings).everyone if _key(p.name) != _key(name)]
    if len(others) >= MAX_PEOPLE:
        raise EnrollmentError(f"{' and '.join(others)} are enrolled already, and it learns two voices "
                              f"at most; forget one first: pi-pause phrase forget --speaker {others[0]!r}",
                              f"It knows two voices already ({' and '.join(others)}): forget one first.")
    return name


def save(settings: config.Settings, name: str, numbers: dict[str, np.ndarray], *, takes: int,
         phrase: str) -> Path:
    """Keep one person's numbers (replacing theirs, if any); returns the file."""
    from pi_pause.ear import voiceprint

    name = check_room(settings, name)
    place = folder(settings, for_writing=True)
    place.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(place, 0o700)
    arrays = {f"adapted_{k}": np.asarray(v) for k, v in numbers.items()}
    arrays.update(meta_name=np.array(name), meta_takes=np.array(takes),
                  meta_phrase_sha256=np.array(phrase_digest(phrase)),
                  meta_format=np.array(voiceprint.FORMAT))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = place / f"{_key(name)}.npz"
    dirs.write_atomically(path, buffer.getvalue(), private=True)
    log.info("enrolled a voice (%d takes)", takes)
    return path


def forget(settings: config.Settings, name: str | None = None) -> list[str]:
    """Delete ``name``'s numbers, or everyone's; returns the names forgotten."""
    enrolled = load(settings)
    if name is None:
        chosen = list(enrolled.everyone)
    else:
        chosen = [p for p in enrolled.everyone if _key(p.name) == _key(check_name(name))]
        if not chosen:
            known = ", ".join(p.name for p in enrolled.everyone) or "nobody"
            raise EnrollmentError(f"{check_name(name)!r} is not enrolled (enrolled: {known}); "
                                  "check the spelling, or leave --speaker out to forget everyone",
                                  f"It does not know a voice called {check_name(name)}.")
    for person in chosen:
        person.path.unlink(missing_ok=True)
    if name is None:
        for damaged in enrolled.damaged:
            (folder(settings) / damaged).unlink(missing_ok=True)
    return [p.name for p in chosen]


# -- the takes ----------------------------------------------------------------------

@dataclass(frozen=True)
class TakeVerdict:
    """Is a take good to learn from? ``reason`` for the command line (with the fix),
    ``plain`` in the couple's words; ``audio`` is the take trimmed to its speech (memory only)."""

    ok: bool
    reason: str
    plain: str
    phrase: str = ""
    """The phrase it was heard as (the best-scoring one, with several)."""
    audio: np.ndarray | None = field(default=None, repr=False, compare=False)
    level_dbfs: float = float("-inf")
    """How loud the speech was (75th percentile of its 20 ms frames)."""


def read_take(path: Path) -> np.ndarray:
    """A recording of any rate and channel count as float32 mono at 16 kHz."""
    samples, rate = wav.read_float(path)
    return wav.resample(samples, rate, RATE)


def _frame_dbfs(audio: np.ndarray) -> np.ndarray:
    n = int(FRAME_SECONDS * RATE)
    count = len(audio) // n
    if count == 0:
        return np.full(1, -np.inf)
    frames = audio[:count * n].reshape(count, n).astype(np.float64)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def _speech(audio: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The take from its first to its last loud frame (with a small margin), and the
    levels of the frames in between (how loud the speech is, whatever silence surrounds it)."""
    loud = np.flatnonzero(levels >= levels.max() - SPEECH_BELOW_PEAK_DB)
    n = int(FRAME_SECONDS * RATE)
    margin = int(MARGIN_SECONDS * RATE)
    start = max(0, loud[0] * n - margin)
    end = min(len(audio), (loud[-1] + 1) * n + margin)
    return audio[start:end], levels[loud[0]:loud[-1] + 1]


def judge_take(audio: np.ndarray, phrases: tuple[str, ...], judge) -> TakeVerdict:
    """Is ``audio`` (float32 mono 16 kHz) a good take of one of ``phrases``?

    ``judge`` is the Whisper verifier (``score(windows, phrase)`` and ``threshold``); the
    take, trimmed to its speech and padded with a little silence, must score at or
    above its threshold for the best of the phrases."""
    audio = np.asarray(audio, np.float32).reshape(-1)
    seconds = len(audio) / RATE
    if seconds > MAX_TAKE_SECONDS:
        return TakeVerdict(False, f"the take is {seconds:.0f} s long; record the phrase alone "
                           f"(at most {MAX_TAKE_SECONDS:g} s)",
                           "That was too long: say just the phrase, once.")
    levels = _frame_dbfs(audio)
    speech, spoken = _speech(audio, levels)
    level = float(np.percentile(spoken, 75))
    if level < SPEECH_FLOOR_DBFS:
        return TakeVerdict(False, f"too quiet: the speech reached {level:.0f} dBFS, below "
                           f"{SPEECH_FLOOR_DBFS:g} dBFS; speak up or come closer to the microphone",
                           "That was too quiet: say it again a little closer.", level_dbfs=level)
    clipped = float(np.mean(np.abs(audio) >= FULL_SCALE))
    if clipped > CLIPPED_FRACTION:
        return TakeVerdict(False, f"clipped: {clipped:.1%} of the samples are at full scale "
                           f"(at most {CLIPPED_FRACTION:.1%}); speak a little further from the "
                           "microphone or turn its gain down",
                           "That was too loud for the microphone: say it again a little further away.",
                           level_dbfs=level)
    length = len(speech) / RATE
    if length < MIN_SPEECH_SECONDS:
        return TakeVerdict(False, f"too short: {length:.1f} s of speech; say the whole phrase",
                           "That was too short: say the whole phrase.", level_dbfs=level)
    if length > MAX_SPEECH_SECONDS:
        return TakeVerdict(False, f"too long: {length:.1f} s of speech (at most {MAX_SPEECH_SECONDS:g} s); "
                           "say the phrase alone, with quiet around it",
                           "That was more than the phrase: say just the phrase, with quiet around it.",
                           level_dbfs=level)
    pad = np.zeros(int(VERIFIER_PAD_SECONDS * RATE), np.float32)
    window = np.concatenate([pad, speech, pad])
    scores = {p: judge.score([window], p) for p in phrases}
    phrase = max(scores, key=scores.get)
    if scores[phrase] < judge.threshold:
        said = " or ".join(repr(p) for p in phrases)
        return TakeVerdict(False, f"the verifier did not hear {said} in it; say the phrase "
                           "clearly, as you would say it to each other",
                           "It did not hear your phrase in that: say it again, clearly.",
                           level_dbfs=level)
    return TakeVerdict(True, f"good take of {phrase!r} ({length:.1f} s, speech at {level:.0f} dBFS)",
                       "Got it: that was a good take.", phrase, speech, level)


def open_judge(settings: config.Settings):
    """The Whisper tiny.en verifier at the threshold in force, to judge takes with."""
    from pi_pause.ear import decision, verifier

    return verifier.WhisperVerifier.load(verifier.threshold_for(settings.listen.sensitivity),
                                         pad_seconds=decision.TINY_PAD_SECONDS)


def speech_cache(settings: config.Settings) -> Path | None:
    """Where :func:`voiceprint.adapt` keeps its bank of synthetic talk between enrollments
    (the cache folder: no one's voice is in it); None when there is no writable one."""
    try:
        return dirs.cache_dir(settings)
    except UserError:
        return None


def phrases_of(settings: config.Settings) -> tuple[str, ...]:
    """The configured phrases as the ear hears them (what takes are judged against)."""
    try:
        return tuple(dict.fromkeys(phrase_text.normalise(p) for p in settings.listen.phrases))
    except phrase_text.PhraseTextError as exc:
        raise EnrollmentError(f"{exc}; fix [listen] phrases before enrolling") from None


def chosen_phrase(verdicts: list[TakeVerdict]) -> tuple[str, list[np.ndarray]]:
    """The phrase most good takes were heard as, and those takes."""
    good = [v for v in verdicts if v.ok]
    if not good:
        return "", []
    counts = {}
    for v in good:
        counts[v.phrase] = counts.get(v.phrase, 0) + 1
    phrase = max(counts, key=counts.get)
    return phrase, [v.audio for v in good if v.phrase == phrase]
