"""Long jobs say how far they have got: a bar on a terminal, a line per tenth in the journal."""

from __future__ import annotations

import io
import logging

from pi_pause.progress import Progress
from pi_pause.voice.clip_cache import ClipCache


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_the_journal_progress_is_a_line_per_tenth(caplog):
    caplog.set_level(logging.INFO)
    with Progress("preparing the voice clips", io.StringIO()) as progress:
        for done in range(261):
            progress(done, 260)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "preparing the voice clips: 0 of 260 (0%)"
    assert lines[-1] == "preparing the voice clips: 260 of 260 (100%)"
    assert len(lines) == 11


def test_on_a_terminal_progress_is_a_bar(caplog):
    screen = Terminal()
    with Progress("rendering voice clips", screen) as progress:
        for done in range(0, 11):
            progress(done, 10)
    assert "rendering voice clips" in screen.getvalue() and "10/10" in screen.getvalue()
    assert caplog.records == []


def test_rendering_reports_each_clip(tmp_path, joe_voice):
    seen = []
    ClipCache(tmp_path, joe_voice).render(["One.", "Two.", "One."],
                                          progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 2), (1, 2), (2, 2)]
