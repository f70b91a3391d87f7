"""How far a long job has got, shown so that nobody stares at a silent terminal.

Rendering every voice clip takes minutes the first time (on a Pi, many). On a
terminal this draws a tqdm bar; elsewhere (the systemd journal, a pipe) a bar
would be a flood of carriage returns, so it logs one line every tenth of the way::

    with Progress("rendering voice clips") as progress:
        cache.render(texts, progress=progress)    # calls progress(done, total)
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)


class Progress:
    """A ``progress(done, total)`` callback: a tqdm bar on a terminal, else a log line per 10%."""

    def __init__(self, what: str, stream=None, bar: bool = True, unit: str = "clip") -> None:
        self.what = what
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.bar = bar  # False: always log lines (a service whose terminal shows its log)
        self._bar = None
        self._logged = -1  # the last tenth logged

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.bar and _is_terminal(self.stream):
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=self.what, unit=self.unit, file=self.stream,
                                 dynamic_ncols=True)
            self._bar.update(done - self._bar.n)
            return
        tenth = done * 10 // total
        if tenth != self._logged and (tenth > 0 or done == 0):
            self._logged = tenth
            log.info("%s: %d of %d (%d%%)", self.what, done, total, done * 100 // total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no bar
        return False
