"""Scoring spotter detections against the corpus's phrase times.

A detection is a *hit* when it fires between a phrase's start and its end plus a
grace period (1.5 s: the listener may need a moment of audio after the last word).
The first hit of a phrase gives its latency, ``detection time - phrase end`` (audio
seconds; negative when the spotter fires before the last word is over). A second
detection inside the same window is a *repeat*: the live service would already be
speaking and ignores it, so it is neither a hit nor a false trigger. Every other
detection is a *false trigger*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GRACE = 1.5


@dataclass
class FileScore:
    """What one file's detections amount to."""

    phrases: int = 0
    latencies: list[float] = field(default_factory=list)
    false_times: list[float] = field(default_factory=list)
    repeats: int = 0

    @property
    def hits(self) -> int:
        return len(self.latencies)


def score_file(phrases: list[tuple[float, float]], detections: list[float],
               grace: float = GRACE) -> FileScore:
    """Match detection times (seconds) against phrase (start, end) times."""
    result = FileScore(phrases=len(phrases))
    heard = [False] * len(phrases)
    for t in sorted(detections):
        inside = [i for i, (a, b) in enumerate(phrases) if a <= t <= b + grace]
        if not inside:
            result.false_times.append(t)
            continue
        i = next((i for i in inside if not heard[i]), None)
        if i is None:
            result.repeats += 1
        else:
            heard[i] = True
            result.latencies.append(t - phrases[i][1])
    return result


@dataclass
class Tally:
    """Scores summed over many files (one condition, or everything)."""

    files: int = 0
    phrases: int = 0
    hits: int = 0
    false: int = 0
    repeats: int = 0
    non_phrase_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def add(self, score: FileScore, duration: float, phrases: list[tuple[float, float]]) -> None:
        self.files += 1
        self.phrases += score.phrases
        self.hits += score.hits
        self.false += len(score.false_times)
        self.repeats += score.repeats
        self.non_phrase_seconds += duration - sum(b - a for a, b in phrases)
        self.latencies += score.latencies

    @property
    def recall(self) -> float | None:
        return self.hits / self.phrases if self.phrases else None

    @property
    def false_per_hour(self) -> float | None:
        return self.false / (self.non_phrase_seconds / 3600) if self.non_phrase_seconds else None

    def latency(self, q: float) -> float | None:
        return float(np.percentile(self.latencies, q)) if self.latencies else None

    def summary(self) -> dict:
        return {
            "files": self.files, "phrases": self.phrases, "hits": self.hits,
            "recall": self.recall, "false_triggers": self.false, "repeats": self.repeats,
            "non_phrase_hours": self.non_phrase_seconds / 3600,
            "false_per_hour": self.false_per_hour,
            "latency_median": self.latency(50), "latency_p90": self.latency(90),
        }


# The design's targets, and how a figure is printed and judged against them.
TARGETS = {
    "recall": (">=", 0.95),
    "false_per_hour": ("<=", 0.5),
    "latency_median": ("<=", 0.3),
    "latency_p90": ("<=", 0.6),
    "verifier_cpu_median": ("<=", 0.15),
    "rtf": ("<=", 0.05),
    "peak_rss_mb": ("<=", 200.0),
}


def fmt(value, kind: str = "") -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "s":
        return f"{value:+.2f} s"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def verdict(metric: str, value, accuracy: bool = True) -> str:
    if value is None or metric not in TARGETS:
        return ""
    if not accuracy and metric in ("recall", "false_per_hour"):
        return "not an accuracy set"
    op, target = TARGETS[metric]
    ok = value >= target if op == ">=" else value <= target
    return "met" if ok else "missed"
