"""Which variant of a line to say: never the same words twice in a row.

Each line's variants are dealt like a shuffled deck: every variant once before
any repeats, and a fresh deck never starts with the words said last. The place
in each deck is kept in a small JSON file (written atomically) so this holds
across restarts too::

    rotation = Rotation(state_dir / "rotation.json")
    rotation.pick(line)     # one of line.variants
    rotation.save()
"""

from __future__ import annotations

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

    def pick(self, line: Line) -> str:
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
