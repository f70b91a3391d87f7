"""Write spotter benchmark results into docs/benchmarks.md.

Only the part between the ``<!-- spotter-results:SPLIT -->`` and
``<!-- /spotter-results:SPLIT -->`` markers is replaced, so the hand-written
explanation around it stays as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.scoring import TARGETS, fmt, verdict

LABELS = {
    "recall": ("Recall, all conditions", "pct"),
    "false_per_hour": ("False triggers per hour of non-phrase audio", ""),
    "latency_median": ("Detection after phrase end, median", "s"),
    "latency_p90": ("Detection after phrase end, p90", "s"),
    "rtf": ("CPU real-time factor (one core)", ""),
    "peak_rss_mb": ("Peak RSS of the listener process, MB", ""),
}


def _target(metric: str) -> str:
    op, value = TARGETS[metric]
    kind = LABELS[metric][1]
    shown = f"{100 * value:.0f}%" if kind == "pct" else f"{value:g}" + (" s" if kind == "s" else "")
    return f"{'≥' if op == '>=' else '≤'} {shown}"


def section(result: dict) -> str:
    """Markdown for one result (one split, every engine)."""
    m = result["machine"]
    out = [f"Measured {result['date']} on {m['cpu']} ({m['cores']} cores, shared with other jobs; "
           f"load average {m['load_average']:.1f} at the start), Python {m['python']}, {m['system']}.",
           f"Command: `{result['command']}` (corpus: `python -m benchmarks.corpus --out {result['corpus']}`).", ""]
    for name, r in result["engines"].items():
        if "skipped" in r:
            out += [f"**{name}**: skipped: {r['skipped']}.", ""]
            continue
        o = r["overall"]
        values = dict(o, rtf=r["rtf"], peak_rss_mb=r["peak_rss_mb"])
        out += [f"**{name}** (engine `{r['engine']}`, {r['split']}: {o['files']} files, {o['phrases']} phrases, "
                f"{o['non_phrase_hours'] * 60:.1f} min of audio without the phrase)", ""]
        out += [f"Spotter measured: `{r['spotter_source']}`.", ""]
        if r.get("note"):
            out += [f"*{r['note']}.*", ""]
        out += ["| Figure | Measured | Target | |", "|---|---|---|---|"]
        for metric, (label, kind) in LABELS.items():
            value = values.get(metric)
            shown = fmt(value, kind) if metric != "peak_rss_mb" else f"{value:.0f}"
            if metric == "rtf":
                shown = f"{value:.4f}"
            if metric == "recall":
                shown += f" ({o['hits']}/{o['phrases']})"
            if metric == "false_per_hour":
                shown += f" ({o['false_triggers']} in {o['non_phrase_hours'] * 60:.1f} min)"
            out.append(f"| {label} | {shown} | {_target(metric)} | {verdict(metric, value, r.get('accuracy', True))} |")
        out += ["", f"Model load {r['load_wall']:.1f} s wall; RSS after load {r['rss_loaded_mb']:.0f} MB; "
                f"{r['workers']} worker process(es), {r['audio_seconds'] / 60:.1f} min of audio in "
                f"{r['wall_seconds'] / 60:.1f} min.", "",
                "| Condition | Recall | False/h (count, minutes) | Latency median |", "|---|---|---|---|"]
        for group, rows in r["by_condition"].items():
            for label, s in rows.items():
                out.append(f"| {group}: {label} | {fmt(s['recall'], 'pct')} ({s['hits']}/{s['phrases']}) | "
                           f"{fmt(s['false_per_hour'])} ({s['false_triggers']}, {s['non_phrase_hours'] * 60:.1f}) | "
                           f"{fmt(s['latency_median'], 's')} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write(result: dict, path: Path) -> None:
    """Replace (or append) the marked block for this result's split."""
    begin, end = f"<!-- spotter-results:{result['split']} -->", f"<!-- /spotter-results:{result['split']} -->"
    block = f"{begin}\n{section(result)}{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
