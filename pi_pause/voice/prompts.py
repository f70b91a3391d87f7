"""The spoken scripts, loaded from ``prompts/*.toml`` and checked.

Wording lives in TOML so it can be read, changed and translated without
touching code. Seven scripts (``pause.toml``, ``return.toml``, ``extend.toml``
(more time, said at the return cue), ``remaining.toml`` (an early press during
a break), ``checkin.toml``, ``sample.toml`` (the settings page's voice sample) and
``enroll.toml`` (the cue before each take when the couple teach it their voices)) are lists of steps; ``breathing.toml`` holds the breathing
patterns and ``time.toml`` the words for clock times. :func:`load` reads and
validates them all; a mistake is one :class:`PromptError` line naming the file,
the step and the field::

    prompts = load()                          # the project's prompts/ folder
    prompts.scripts["pause"][0]               # Say(line=Line(id='pause.acknowledge', ...))

Every spoken line has at least five variants; :mod:`pi_pause.voice.rotation` picks
which one is said. A ``say`` step may also have ``late_variants``: its words when the
moment passed while the service was restarting (the script's context has ``late``).
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pi_pause import config
from pi_pause.voice.lines import Line
from pi_pause.voice.breathing import BREATHS, NAMED_IN_CONFIG, Pattern, Phase
from pi_pause.errors import UserError
from pi_pause.voice.spoken_time import FORMS, TimeWords


PROMPTS_DIR = config.PROJECT_ROOT / "prompts"
KINDS = ("pause", "return", "extend", "remaining", "checkin", "sample", "enroll")
PLACEHOLDERS = ("return_time", "remaining", "break_minutes", "extend_minutes")
TAILS = ("return_time", "remaining")  # said from their own clips, so only at a line's end
MIN_VARIANTS = 5
MAX_LINE = 500  # characters in one spoken line: a sentence or three, never a chapter
CONFIGURED = "configured"  # breathe = "configured": the pattern named in [pause] breathing


class PromptError(UserError):
    """A prompt file that cannot be used, naming file, step and field."""


@dataclass(frozen=True)
class Say:
    line: Line
    after: float  # seconds of silence after the line
    no_repeat_days: int = 0  # a question bank: no variant again within this many days
    late: Line | None = None  # said instead when the moment passed during a restart

    def for_context(self, context: dict) -> Line:
        """The line to say: ``late`` when the context says the service was restarting
        as its moment came (``late_variants`` in the TOML), else the usual one."""
        return self.late if self.late is not None and context.get("late") else self.line


@dataclass(frozen=True)
class Breathe:
    pattern: str
    cycles: int | None


@dataclass(frozen=True)
class Silence:
    seconds: float


@dataclass(frozen=True)
class Chime:
    pass


@dataclass(frozen=True)
class Turns:
    """A turn for each partner ([checkin] turn_minutes each), a chime between
    them with one of ``handover``'s variants, and a chime at the end."""

    handover: Line


Step = Say | Breathe | Silence | Chime | Turns


@dataclass(frozen=True)
class Prompts:
    scripts: dict[str, tuple[Step, ...]]
    patterns: dict[str, Pattern]
    time: TimeWords


def load(directory: Path = PROMPTS_DIR) -> Prompts:
    """Read and check every prompt file in ``directory``."""
    directory = Path(directory)
    patterns = _patterns(directory / "breathing.toml")
    scripts = {kind: _script(directory / f"{kind}.toml", kind, patterns) for kind in KINDS}
    return Prompts(scripts, patterns, _time(directory / "time.toml"))


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptError(f"{path}: prompt file missing; restore it from the pi-pause source") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path}: not valid TOML ({exc}); check quotes and brackets") from None


class _Where:
    """Builds error messages: 'FILE: step 3 (say "need"): field 'variants' ...'."""

    def __init__(self, path: Path, place: str):
        self.path, self.place = path, place

    def fail(self, field: str, problem: str):
        raise PromptError(f"{self.path}: {self.place}: field '{field}' {problem}")

    def number(self, table: dict, field: str, low: float, high: float, default=None,
               whole: bool = False) -> float:
        value = table.get(field, default)
        kind = int if whole else (int, float)
        if value is None or isinstance(value, bool) or not isinstance(value, kind) \
                or not low <= value <= high:
            self.fail(field, f"is {value!r}; use {'a whole number' if whole else 'a number'} "
                             f"from {low:g} to {high:g}")
        return value

    def variants(self, table: dict, field: str, line_id: str) -> Line:
        value = table.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(field, "must be a list of non-empty quoted lines")
        if len(set(value)) < MIN_VARIANTS:
            self.fail(field, f"has {len(set(value))} different lines; write at least "
                             f"{MIN_VARIANTS} so the words can rotate")
        for text in value:
            if len(text) > MAX_LINE:
                self.fail(field, f"has a line of {len(text)} characters ({text[:40]!r}...); "
                                 f"keep each line under {MAX_LINE} and split longer ones")
            try:
                names = [n for _, n, _, _ in string.Formatter().parse(text) if n is not None]
            except ValueError:
                self.fail(field, f"has unbalanced braces in {text!r}; placeholders look like "
                                 "{return_time}")
            for name in names:
                if name not in PLACEHOLDERS:
                    self.fail(field, f"uses unknown placeholder {{{name}}} in {text!r}; allowed: "
                                     + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
            tails = [name for name in names if name in TAILS]
            if len(tails) > 1:
                self.fail(field, f"uses {len(tails)} of {{return_time}}, {{remaining}} in "
                                 f"{text!r}; use one per line")
            for tail in tails:
                if text.split("{" + tail + "}", 1)[1].strip(" .!?"):
                    self.fail(field, f"puts {{{tail}}} mid-sentence in {text!r}; "
                                     "end the line with it")
        return Line(line_id, tuple(value))

    def only(self, table: dict, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.fail(key, f"is not known here; allowed fields: {', '.join(sorted(allowed))}")


def _script(path: Path, kind: str, patterns: dict[str, Pattern]) -> tuple[Step, ...]:
    data = _read(path)
    steps_data = data.get("step")
    if not isinstance(steps_data, list) or not steps_data:
        _Where(path, "file").fail("step", "is missing; write steps as [[step]] tables")
    steps, seen = [], set()
    for n, table in enumerate(steps_data, start=1):
        kinds = [k for k in ("say", "breathe", "silence", "chime", "turns") if k in table]
        where = _Where(path, f"step {n}")
        if len(kinds) != 1:
            where.fail("say", "or breathe, silence, chime, turns: exactly one is needed per step, "
                       "found " + (", ".join(kinds) or "none"))
        what = kinds[0]
        if what == "say":
            line_id = table["say"]
            where = _Where(path, f"step {n} (say {line_id!r})")
            if not isinstance(line_id, str) or not line_id.strip() or line_id in seen:
                where.fail("say", "must be a short name used once per file, like \"acknowledge\"")
            seen.add(line_id)
            where.only(table, {"say", "variants", "late_variants", "after", "no_repeat_days"})
            line = where.variants(table, "variants", f"{kind}.{line_id}")
            late = (where.variants(table, "late_variants", f"{kind}.{line_id}.late")
                    if "late_variants" in table else None)
            days = int(where.number(table, "no_repeat_days", 0, 60, default=0, whole=True))
            if days and len(set(line.variants)) <= days:
                where.fail("variants", f"has {len(set(line.variants))} different lines; with "
                                       f"no_repeat_days = {days} write at least {days + 1}")
            steps.append(Say(line, float(where.number(table, "after", 0, 600, default=0.6)), days,
                             late))
        elif what == "breathe":
            where.only(table, {"breathe", "cycles"})
            name = table["breathe"]
            if name != CONFIGURED and name not in patterns:
                where.fail("breathe", f"is {name!r}; use \"{CONFIGURED}\" or one of "
                                      + ", ".join(patterns))
            cycles = table.get("cycles")
            if cycles is not None:
                cycles = int(where.number(table, "cycles", 1, 30, whole=True))
            steps.append(Breathe(name, cycles))
        elif what == "silence":
            where.only(table, {"silence"})
            steps.append(Silence(float(where.number(table, "silence", 0, 600))))
        elif what == "turns":
            where.only(table, {"turns", "variants"})
            if table["turns"] is not True:
                where.fail("turns", "must be true")
            steps.append(Turns(where.variants(table, "variants", f"{kind}.turns-{n}")))
        else:
            where.only(table, {"chime"})
            if table["chime"] is not True:
                where.fail("chime", "must be true")
            steps.append(Chime())
    return tuple(steps)


def _patterns(path: Path) -> dict[str, Pattern]:
    data = _read(path)
    tables = data.get("pattern")
    if not isinstance(tables, dict) or not tables:
        _Where(path, "file").fail("pattern", "is missing; write patterns as [pattern.NAME]")
    for name in NAMED_IN_CONFIG:
        if name not in tables:
            _Where(path, "file").fail(f"pattern.{name}", "is missing; [pause] breathing may name it")
    patterns = {}
    for name, table in tables.items():
        where = _Where(path, f"pattern {name!r}")
        where.only(table, {"phase"})
        if not isinstance(table.get("phase"), list) or not table["phase"]:
            where.fail("phase", "is missing; write phases as [[pattern.NAME.phase]]")
        phases = []
        for i, ph in enumerate(table["phase"], start=1):
            pw = _Where(path, f"pattern {name!r} phase {i}")
            pw.only(ph, {"breath", "seconds", "cue"})
            if ph.get("breath") not in BREATHS:
                pw.fail("breath", f"is {ph.get('breath')!r}; use one of {', '.join(BREATHS)}")
            seconds = float(pw.number(ph, "seconds", 0.5, 30))
            cue = pw.variants(ph, "cue", f"breathing.{name}.{i}") if "cue" in ph else None
            phases.append(Phase(ph["breath"], seconds, cue))
        if all(p.breath == "hold" for p in phases):
            where.fail("phase", "holds only; a pattern needs an 'in' and an 'out'")
        patterns[name] = Pattern(name, tuple(phases))
    return patterns


def _time(path: Path) -> TimeWords:
    data = _read(path)
    where = _Where(path, "time words")
    where.only(data, set(FORMS) | {"numbers", "tens"})
    for form in FORMS:
        if not isinstance(data.get(form), str):
            where.fail(form, "is missing; it must be a quoted string")
    if data["style"] not in ("words", "digits"):
        where.fail("style", f"is {data['style']!r}; use \"words\" or \"digits\"")
    if not (isinstance(data.get("numbers"), list) and len(data["numbers"]) == 20):
        where.fail("numbers", "must list the words for 0 to 19")
    if not (isinstance(data.get("tens"), list) and len(data["tens"]) == 6):
        where.fail("tens", "must list the words for 0, 10, 20 ... 50")
    for form in FORMS:
        try:
            names = [n for _, n, _, _ in string.Formatter().parse(data[form]) if n is not None]
        except ValueError:
            where.fail(form, f"has unbalanced braces in {data[form]!r}")
        for name in names:
            if not name.isidentifier():  # {hour.real}, {hour[0]}: not a placeholder
                where.fail(form, f"uses {{{name}}} in {data[form]!r}; placeholders are plain "
                                 "names like {hour}")
    words = TimeWords.from_table(data)
    try:  # every form must take exactly the placeholders this module fills in
        import datetime as dt

        for minute in range(0, 24 * 60):
            words.at(dt.time(minute // 60, minute % 60))
        for minutes in range(1, 24 * 60 + 1):
            words.length(minutes)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        where.fail("(a time form)", f"uses a placeholder this form does not have ({exc})")
    return words
