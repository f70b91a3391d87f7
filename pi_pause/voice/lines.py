"""A spoken line: the unit every script, breathing cue and rotation deals in.

A line has an id (where it comes from in ``prompts/*.toml``, e.g. ``pause.3`` or
``breathing.sigh.0``) and its interchangeable variants; :mod:`pi_pause.voice.rotation`
picks which variant is said, so the couple does not hear the same words every time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One spoken line and its interchangeable variants."""

    id: str
    variants: tuple[str, ...]
