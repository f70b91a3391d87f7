"""Breathing patterns turned into timed phases.

A pattern (from ``prompts/breathing.toml``) is a list of phases, each a breath
("in", "out" or "hold"), a length in seconds and an optional spoken cue. A
:func:`timeline` lays the phases out for a number of cycles, each with its
start time from the beginning of the breathing, so the session can run them
against the clock: a cue's audio plays inside its phase, and the phase still
ends exactly on time. :func:`cycles_for` says how many cycles fill the guided
minutes ([pause] breathing_minutes)::

    for phase in timeline(pattern, cycles=cycles_for(pattern, minutes=2)):
        phase.start, phase.seconds, phase.breath   # 0.0, 2.5, 'in' ...

The light follows the breath: each timed phase carries the brightness the LED
should reach by its end (rising across a whole breath in, falling across a
whole breath out, still during a hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from pi_pause.voice.lines import Line

BREATHS = ("in", "out", "hold")
NAMED_IN_CONFIG = ("cyclic-sigh", "resonance", "box")  # what [pause] breathing may name
LOW = 0.05  # the light's level at the bottom of a breath: dim, never quite dark


@dataclass(frozen=True)
class Phase:
    breath: str
    seconds: float
    cue: Line | None


@dataclass(frozen=True)
class Pattern:
    name: str
    phases: tuple[Phase, ...]

    def cycle_seconds(self, holds: bool = False) -> float:
        return sum(p.seconds for p in self.phases if holds or p.breath != "hold")


@dataclass(frozen=True)
class TimedPhase:
    start: float
    seconds: float
    breath: str
    cue: Line | None
    cycle: int
    level: float  # the light's brightness at the end of this phase

    @property
    def end(self) -> float:
        return self.start + self.seconds


def cycles_for(pattern: Pattern, minutes: float, holds: bool = False) -> int:
    """How many whole cycles come closest to ``minutes`` of breathing (at least one)."""
    return max(1, round(minutes * 60 / pattern.cycle_seconds(holds)))


def timeline(pattern: Pattern, cycles: int, holds: bool = False) -> list[TimedPhase]:
    """The pattern's phases for ``cycles`` cycles, holds optional; every phase keeps its cue,
    so the voice is there in every cycle."""
    kept = [p for p in pattern.phases if holds or p.breath != "hold"]
    levels = _levels(kept)
    phases, t = [], 0.0
    for cycle in range(cycles):
        for p, level in zip(kept, levels):
            phases.append(TimedPhase(t, p.seconds, p.breath, p.cue, cycle, level))
            t += p.seconds
    return phases


def _levels(phases: list[Phase]) -> list[float]:
    """The light rises across a whole breath in (a sigh's top-up included) and
    falls across a whole breath out; it stays put during a hold."""
    levels, level, i = [], LOW, 0
    while i < len(phases):
        breath = phases[i].breath
        j = i
        while j < len(phases) and phases[j].breath == breath:
            j += 1
        run = phases[i:j]
        if breath == "hold":
            levels += [level] * len(run)
        else:
            start, end = (LOW, 1.0) if breath == "in" else (1.0, LOW)
            total, done = sum(p.seconds for p in run), 0.0
            for p in run:
                done += p.seconds
                levels.append(start + (end - start) * done / total)
            level = end
        i = j
    return levels
