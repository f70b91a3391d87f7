"""Which variant of a line to say: never the same words twice in a row.

Each line's variants are dealt like a shuffled deck: every variant once before
any repeats, and a fresh deck never starts with the words said last. The place
in each deck is kept in a small JSON file (written atomically) so this holds
across restarts too::

    rotation = Rotation(state_dir / "rotation.json")
    rotation.pick(line)     # one of line.variants
    rotation.save()

A question bank (the check-in's questions, ``no_repeat_days`` in the prompt
file) is dealt by date instead: a variant said on one day is not said again
for ``days`` days, so a question heard on Monday does not come back that week::

    rotation.pick(line, today=datetime.date.today(), days=7)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
from pathlib import Path

from pi_pause.dirs import write_atomically
from pi_pause.voice.lines import Line

log = logging.getLogger(__name__)


class Rotation:
    """Picks a variant for each line: every variant once before any repeats, and
    never the same words twice in a row, even across a restart.

    State is a small JSON file (``None`` keeps it in memory only, as preview does).
    """

    def __init__(self, path: Path | None, rng: random.Random | None = None):
        self.path = path
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        self._state: dict[str, dict] = {}
        if path is not None:
            try:
                loaded = json.loads(Path(path).read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._state = loaded
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as exc:
                log.warning("prompt rotation state %s unreadable (%s); starting afresh",
                            path, type(exc).__name__)

    def pick(self, line: Line, today: dt.date | None = None, days: int = 0) -> str:
        """One of ``line.variants``; with ``days``, one not said in the ``days`` days before ``today``."""
        if days > 0:
            return self._pick_by_date(line, today or dt.date.today(), days)
        n = len(line.variants)
        with self._lock:
            entry = self._state.get(line.id)
            if not _valid(entry, n):
                last = entry.get("last") if isinstance(entry, dict) else None
                entry = {"n": n, "deck": [], "last": last if isinstance(last, int) else -1}
            if not entry["deck"]:
                deck = list(range(n))
                self.rng.shuffle(deck)
                if deck[0] == entry["last"]:  # a fresh deck must not repeat the last words
                    deck.append(deck.pop(0))
                entry["deck"] = deck
            index = entry["deck"].pop(0)
            entry["last"] = index
            self._state[line.id] = entry
        return line.variants[index]

    def _pick_by_date(self, line: Line, today: dt.date, days: int) -> str:
        n = len(line.variants)
        key = f"{line.id}@days"
        with self._lock:
            entry = self._state.get(key)
            said = entry.get("said") if isinstance(entry, dict) and entry.get("n") == n else None
            said = {int(i): d for i, d in said.items()
                    if i.isdigit() and int(i) < n and isinstance(d, str)} if isinstance(said, dict) else {}

            def last_said(i: int) -> dt.date:
                try:
                    return dt.date.fromisoformat(said[i])
                except (KeyError, ValueError):
                    return dt.date.min

            free = [i for i in range(n) if (today - last_said(i)).days >= days]
            if not free:  # more nights than questions: the longest unheard
                oldest = min(last_said(i) for i in range(n))
                free = [i for i in range(n) if last_said(i) == oldest]
            index = self.rng.choice(free)
            said[index] = today.isoformat()
            self._state[key] = {"n": n, "said": {str(i): d for i, d in said.items()}}
        return line.variants[index]

    def save(self) -> None:
        """Write the state atomically (a power cut leaves the old or the new file)."""
        if self.path is None:
            return
        with self._lock:
            data = json.dumps(self._state, sort_keys=True).encode()
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(Path(self.path), data)
        except OSError as exc:
            log.warning("cannot save prompt rotation to %s (%s)", self.path, exc.strerror)


def _valid(entry, n: int) -> bool:
    return (isinstance(entry, dict) and entry.get("n") == n and isinstance(entry.get("deck"), list)
            and all(isinstance(i, int) and 0 <= i < n for i in entry["deck"])
            and isinstance(entry.get("last"), int))
