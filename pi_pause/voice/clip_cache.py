"""The render cache: every fixed clip is synthesised once and kept on disk.

A clip's file name is a hash of what produced it (the text, the voice file and
the synthesis settings), so changing the voice or the pace simply misses the
cache and renders afresh. Each file carries a checksum of its audio: a file
damaged or cut short (a power cut on an SD card) is noticed on reading, removed
and rendered again. Files are written to a temporary name, flushed to disk and
then renamed, so a clip is either whole or absent, never half-written::

    cache = ClipCache(Path("/var/cache/pi-pause"), voice)
    clip = cache.get("Let's take a pause.")    # reads, or renders once
    report = cache.render(all_texts)           # what `pi-pause render` does

A clip that cannot be stored (the disk is full, the folder read-only) is kept in
memory instead, and that is logged once: the voice never waits on the disk, and
the service never dies of it. Temporary files left by an earlier run that was
killed mid-write are removed when the cache is opened.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pi_pause.dirs import remove_stale_temporaries, write_atomically
from pi_pause.voice.voice import Clip, Voice

log = logging.getLogger(__name__)

_MAGIC = b"PPCLIP1\0"
_HEADER = struct.Struct("<8sII32s")  # magic, sample rate, sample count, sha256 of samples
_SUFFIX = ".clip"
_FORMAT = "1"  # bump when synthesis post-processing changes


@dataclass(frozen=True)
class RenderReport:
    """What one render pass did."""

    rendered: int
    cached: int
    repaired: int
    pruned: int
    seconds: float


class ClipCache:
    """Rendered clips in ``directory``, keyed by text, voice and settings."""

    def __init__(self, directory: Path, voice: Voice):
        self.directory = Path(directory)
        self.voice = voice
        self.synthesised = 0  # clips rendered by this object (tests and reports read it)
        self.repaired = 0
        self._identity = voice.identity()
        self._lock = threading.Lock()
        self._memory: dict[str, Clip] = {}  # clips the disk would not take
        self._warned_disk = False
        remove_stale_temporaries(self.directory)

    def key(self, text: str) -> str:
        blob = "\n".join((_FORMAT, self._identity, text)).encode()
        return hashlib.sha256(blob).hexdigest()[:32]

    def path(self, text: str) -> Path:
        return self.directory / (self.key(text) + _SUFFIX)

    def load(self, text: str) -> Clip | None:
        """The cached clip, or None when absent; a damaged file is removed."""
        kept = self._memory.get(text)
        if kept is not None:
            return kept
        path = self.path(text)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # not rendered, or no folder at all
            return None
        except OSError as exc:  # an unreadable card: render again, into memory if need be
            log.warning("cannot read cached clip %s (%s)", path.name, exc.strerror or exc)
            return None
        clip = _decode(data)
        if clip is None:
            log.warning("cached clip %s is damaged; rendering it again", path.name)
            self.repaired += 1
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        return clip

    def get(self, text: str) -> Clip:
        """The clip for ``text``: from disk, or synthesised now and stored."""
        clip = self.load(text)
        if clip is None:
            with self._lock:
                clip = self.load(text) or self._render(text)
        return clip

    def render(self, texts, prune: bool = True, stop=None, progress=None) -> RenderReport:
        """Make sure every text has a clip; optionally remove clips no text needs.

        Setting the event ``stop`` ends rendering after the clip in hand (nothing is
        pruned then), so a service asked to stop during its first start stops soon.
        ``progress(done, total)``, if given, follows the clips still to synthesise: called
        before the first and after each, and never when every clip is cached already (a
        second start has nothing to report).
        """
        start = time.perf_counter()
        before_synth, before_repair = self.synthesised, self.repaired
        texts = list(dict.fromkeys(texts))
        keep = {self.path(text).name for text in texts}
        missing = [text for text in texts if self.load(text) is None]
        cached = len(texts) - len(missing)
        if progress is not None and missing:
            progress(0, len(missing))
        for done, text in enumerate(missing, 1):
            if stop is not None and stop.is_set():
                prune = False
                break
            self.get(text)
            if progress is not None:
                progress(done, len(missing))
        pruned = self.prune(keep) if prune else 0
        return RenderReport(self.synthesised - before_synth, cached,
                            self.repaired - before_repair, pruned, time.perf_counter() - start)

    def prune(self, keep: set[str]) -> int:
        """Delete clips (and leftover temporary files) whose names are not in ``keep``."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.iterdir():
            stale = path.suffix == _SUFFIX and path.name not in keep
            if stale or path.name.endswith(".tmp"):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    continue  # a read-only folder: nothing to tidy, nothing to fail
                removed += 1
        return removed

    def _render(self, text: str) -> Clip:
        clip = self.voice.synthesize(text)
        self.synthesised += 1
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path(text), _encode(clip))
        except OSError as exc:
            if not self._warned_disk:
                self._warned_disk = True
                log.warning("cannot store clips in %s (%s); keeping them in memory until "
                            "there is room", self.directory, exc.strerror or exc)
            self._memory[text] = clip
        return clip

    @property
    def in_memory(self) -> int:
        """How many clips live only in memory because the disk would not take them."""
        return len(self._memory)


def _encode(clip: Clip) -> bytes:
    body = clip.samples.astype("<i2").tobytes()
    return _HEADER.pack(_MAGIC, clip.rate, len(clip.samples), hashlib.sha256(body).digest()) + body


def _decode(data: bytes) -> Clip | None:
    if len(data) < _HEADER.size:
        return None
    magic, rate, count, digest = _HEADER.unpack_from(data)
    body = data[_HEADER.size:]
    if magic != _MAGIC or len(body) != 2 * count or hashlib.sha256(body).digest() != digest:
        return None
    return Clip(np.frombuffer(body, dtype="<i2").astype(np.int16), rate)
