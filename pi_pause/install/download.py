"""Fetching one file over HTTP(S), resumably, with a quiet progress line.

A model can be a 130 MB download over a shaky Wi-Fi link, so the bytes are
streamed into a ``.part`` file. When the connection drops, the download picks up
where it stopped with an HTTP ``Range`` request: a few times straight away, and
again on the next run of the command, since the ``.part`` file stays. A server
that ignores ``Range`` answers ``200`` with the whole file; then the ``.part``
file is simply started again.

Nothing here decides whether the bytes are *right*: the caller checks the size
and sha256 of the finished file before using it. Example::

    fetch("https://example.org/model.zip", Path("models/.partial/x.part"),
          size=41205931, progress=Progress("x"))
"""

from __future__ import annotations

import http.client
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pi_pause import __version__

CHUNK = 64 * 1024


class Unreachable(Exception):
    """The server could not be reached, or answered with an HTTP error."""

    def __init__(self, host: str, reason: str):
        super().__init__(f"cannot reach {host}: {reason}")
        self.host, self.reason = host, reason


class Interrupted(Exception):
    """The connection broke off before the whole file arrived."""


class WrongSize(Exception):
    """The server offers a file of another size than expected."""

    def __init__(self, offered: int):
        super().__init__(f"the server offers {offered} bytes")
        self.offered = offered


class Progress:
    """How far a download has got: a tqdm bar (bytes, speed, time left) on a terminal,
    a line every 10% when stderr is a log or a pipe (no spam either way)."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.shown = -1
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, initial=done, desc=self.label, unit="B",
                                 unit_scale=True, unit_divisor=1024, file=self.stream)
            self._bar.update(done - self._bar.n)
            if done >= total:
                self._bar.close()
            return
        percent = done * 100 // total if total else 100
        step = percent - percent % 10
        if step == self.shown:
            return
        self.shown = step
        self.stream.write(f"{self.label}: {percent}% of {total / 1e6:.1f} MB\n")
        self.stream.flush()


def fetch(url: str, part: Path, size: int, *, progress=None, retries: int = 4,
          timeout: float = 30.0, pause: float = 0.5) -> None:
    """Bring ``part`` to ``size`` bytes from ``url``, resuming what is already there.

    Raises :class:`Unreachable` when no connection can be made (nothing is
    retried: being offline should be said at once), :class:`Interrupted` when
    the connection broke off more than ``retries`` times (what arrived is kept), and
    :class:`WrongSize` when the server offers a file of another size.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have > size:  # left over from a different file: it cannot be resumed
            part.unlink()
            have = 0
        if have == size:
            return
        try:
            _get(url, part, have, size, progress, timeout)
        except Interrupted:
            failures += 1
            if failures > retries:
                raise
            time.sleep(pause * failures)


def _get(url: str, part: Path, have: int, size: int, progress, timeout: float) -> None:
    """One request: continue ``part`` from byte ``have`` (or start over)."""
    request = urllib.request.Request(url, headers={"User-Agent": f"pi-pause/{__version__}"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    host = urllib.parse.urlsplit(url).netloc or url
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # our partial file no longer fits the server's: restart
            part.unlink()
            raise Interrupted("range not satisfiable") from None
        raise Unreachable(host, f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise Unreachable(host, _reason(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(host, _reason(exc)) from None
    with response:
        if response.status == 206 and have and _range_start(response) == have:
            mode, expected = "ab", size - have
        elif response.status == 206:  # a range we did not ask for: ask again from scratch
            part.unlink(missing_ok=True)
            raise Interrupted("the server sent an unexpected range")
        else:  # 200: the server ignored Range and sends the whole file, so start over
            mode, expected, have = "wb", size, 0
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) != expected:
            raise WrongSize(int(length) + (size - expected))
        with open(part, mode) as out:
            while have < size:
                try:
                    chunk = response.read(min(CHUNK, size - have))
                except (OSError, http.client.HTTPException) as exc:
                    raise Interrupted(_reason(exc)) from None
                if not chunk:
                    raise Interrupted("the connection closed early")
                out.write(chunk)
                have += len(chunk)
                if progress:
                    progress(have, size)


def _range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _reason(exc) -> str:
    """The human part of a socket error ("Connection refused"), without errno noise."""
    if isinstance(exc, str):
        return exc
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed early"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
