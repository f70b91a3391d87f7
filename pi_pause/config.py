"""Settings: one TOML file parsed into frozen dataclasses.

Every key has a safe default, so an empty file (or no file at all) is a working
configuration. The file is parsed and validated here, in one place; the rest of
the program only ever sees typed, checked settings.

Example ``/etc/pi-pause/config.toml``::

    [listen]
    phrases = ["let's take a pause", "time out please"]

    [pause]
    break_minutes = 25

    [checkin]
    time = "21:30"
    days = ["sun", "mon", "tue", "wed", "thu"]

A key the program does not know, or a value it cannot use, is refused with a
single line naming the key, the value and what is allowed (:class:`ConfigError`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from pi_pause.errors import UserError

DEFAULT_CONFIG_PATH = Path("/etc/pi-pause/config.toml")  # the Pi's, written by ./bootstrap.sh run
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENGINES = ("auto", "two-stage", "vosk", "pocketsphinx", "embedding")
VOICES = ("joe", "heart")
"""The voices pi-pause ships (pi_pause.voice.catalogue says what each is)."""
DEFAULT_VOICE = "joe"
VOICE_CHOICES = '"joe" (a man\'s voice), "heart" (a woman\'s voice) or the path of a Piper .onnx voice'


def is_voice_path(model: str) -> bool:
    """Is a ``[voice] model`` value a file path (not a packaged voice's name)? A bare
    word like "emma" is a name: a name pi-pause does not ship is refused, never fetched."""
    return any(c in model for c in "/.~\\")


def _valid_voice(model: str) -> bool:
    return model in ("",) + VOICES or is_voice_path(model)


class ConfigError(UserError):
    """A configuration problem, worded for the person editing the file."""


def _rule(allowed: str, check) -> dict:
    """Field metadata: a human description of what is allowed, and its test."""
    return {"allowed": allowed, "check": check}


def _between(low: float, high: float) -> dict:
    kind = "a whole number" if isinstance(low, int) and isinstance(high, int) else "a number"
    return _rule(f"{kind} from {low:g} to {high:g}", lambda v: low <= v <= high)


def _one_of(*choices: str) -> dict:
    return {**_rule("one of " + ", ".join(repr(c) for c in choices), lambda v: v in choices),
            "choices": choices}


def choices(cls, key: str) -> tuple[str, ...]:
    """The allowed values of a one-of setting (for a menu), e.g. ``choices(PauseSettings, "breathing")``."""
    return next(f for f in dataclasses.fields(cls) if f.name == key).metadata["choices"]


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
def _valid_phrase(phrase: str) -> bool:
    """Lower-case letters of any script (Hangul has no case), spaces and apostrophes."""
    return bool(phrase.strip()) and all(c in " '" or (c.isalpha() and c == c.lower()) for c in phrase)


def _valid_phrases(value: tuple[str, ...]) -> bool:
    return bool(value) and all(_valid_phrase(p) for p in value)


@dataclass(frozen=True)
class ListenSettings:
    """How the microphone is heard."""

    engine: str = field(default="auto", metadata=_one_of(*ENGINES))
    """Recogniser: 'two-stage' (lenient first stages propose, Whisper tiny.en confirms from the
    phrase's text; any phrase, no training), 'vosk' (needs a model in models/), 'pocketsphinx'
    (built in), 'embedding' (openWakeWord features + a per-phrase model, see `pi-pause phrase
    train`) or 'auto' (two-stage while the Whisper model is intact, else Vosk when its model is
    present, else PocketSphinx)."""

    phrases: tuple[str, ...] = field(
        default=("let's take a pause",),
        metadata=_rule("a non-empty list of lower-case phrases (letters of any script, spaces, apostrophes)",
                       _valid_phrases),
    )
    """The phrases the couple agreed on; any of them starts a pause."""

    vosk_model: str = "models/vosk-model-small-en-us-0.15"
    """Vosk model folder; a relative path is taken from the project folder."""

    input_device: str = ""
    """Microphone, as a sounddevice name or index; empty means the system default."""

    sensitivity: float = field(default=0.5, metadata=_between(0.0, 1.0))
    """Higher hears the phrase more readily but false-triggers more often."""


@dataclass(frozen=True)
class VoiceSettings:
    """How pi-pause speaks."""

    model: str = field(default="", metadata=_rule(VOICE_CHOICES, _valid_voice))
    """Who speaks: "joe" (Piper en_US-joe-medium, a man's voice), "heart" (hibari's heart, a
    woman's voice), or the path of any Piper voice (.onnx with its .onnx.json beside it); empty
    means joe."""

    length_scale: float = field(default=1.55, metadata=_between(0.5, 2.0))
    """Speaking pace: above 1 is slower and calmer, below 1 faster (1.55: about 130 words a minute,
    with either packaged voice)."""

    volume: float = field(default=0.8, metadata=_between(0.0, 1.0))
    """Loudness of speech and chimes, from silent (0) to full scale (1)."""

    output_device: str = ""
    """Speaker, as a sounddevice name or index; empty means the system default."""


@dataclass(frozen=True)
class GpioSettings:
    """The button and the LED (BCM pin numbers)."""

    button_pin: int = field(default=17, metadata=_between(0, 27))
    """GPIO pin of the push button, wired to ground (the internal pull-up is used)."""

    led_pin: int = field(default=18, metadata=_between(0, 27))
    """GPIO pin of the LED (through a resistor to ground); 18 has hardware PWM."""

    long_press_seconds: float = field(default=1.5, metadata=_between(0.5, 5.0))
    """Holding the button this long stops everything at once."""


@dataclass(frozen=True)
class PauseSettings:
    """The pause: breathing, break and return."""

    break_minutes: int = field(default=20, metadata=_between(20, 1440))
    """Length of the quiet break; at least 20 minutes (time to calm), at most a day."""

    extend_minutes: int = field(default=10, metadata=_between(5, 60))
    """Extra time granted by a button press at the return cue."""

    breathing: str = field(default="cyclic-sigh", metadata=_one_of("cyclic-sigh", "resonance", "box"))
    """Breathing pattern guided at the start of a pause."""

    breathing_minutes: int = field(default=2, metadata=_between(1, 3))
    """Minutes of guided breathing at the start of a pause, the voice with every breath."""

    holds: bool = False
    """Include breath holds in patterns that have them (harder for anxious people)."""


@dataclass(frozen=True)
class CheckinSettings:
    """The nightly check-in."""

    enabled: bool = True
    """Offer the check-in at all."""

    time: str = field(default="21:00", metadata=_rule("a 24-hour time like \"21:00\"",
                                                      lambda v: bool(_CLOCK.match(v))))
    """Local time of the check-in."""

    days: tuple[str, ...] = field(
        default=DAYS,
        metadata=_rule("a list of days from " + ", ".join(DAYS),
                       lambda v: bool(v) and set(v) <= set(DAYS)),
    )
    """Days of the week it is offered."""

    late_minutes: int = field(default=30, metadata=_between(0, 120))
    """A check-in missed (device off or restarting) is still offered this late, never later."""

    turn_minutes: float = field(default=2.0, metadata=_between(0.5, 10.0))
    """Time for each partner's turn on each question; a short press moves on sooner."""


@dataclass(frozen=True)
class PathSettings:
    """Where pi-pause keeps things on disk."""

    cache_dir: str = "/var/cache/pi-pause"
    """Rendered voice clips (safe to delete; they are rendered again)."""

    state_dir: str = "/var/lib/pi-pause"
    """Small state such as which prompt variant was spoken last."""

    socket: str = "/run/pi-pause/control.sock"
    """Unix socket for `pi-pause trigger` and `pi-pause status`."""


_TOPIC_PART = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
_HOST = re.compile(r"^(|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+)$")


def _topic_rule() -> dict:
    return _rule("letters, digits, - and _, in parts joined by / (no +, #, spaces or outer /)",
                 lambda v: bool(_TOPIC_PART.match(v)) and len(v) <= 100)


@dataclass(frozen=True)
class MqttSettings:
    """The Home Assistant bridge (`pi-pause mqtt`): where the MQTT broker is, and how to appear."""

    host: str = field(default="", metadata=_rule(
        'a host name or address like "homeassistant.local" or "192.168.1.10" (empty: no broker)',
        lambda v: bool(_HOST.match(v))))
    """The MQTT broker's host name or address; empty means the bridge has nowhere to go."""

    port: int = field(default=1883, metadata=_between(1, 65535))
    """The broker's port: 1883 is plain MQTT, 8883 usually MQTT over TLS."""

    user: str = field(default="", metadata=_rule("a user name without spaces (empty: none)",
                                                 lambda v: len(v) <= 200 and not any(c.isspace() for c in v)))
    """The user name at the broker; its password is set with `pi-pause mqtt password`."""

    tls_ca: str = ""
    """A CA certificate file (PEM); when set, the connection uses TLS and checks the broker against it."""

    topic_prefix: str = field(default="pi-pause", metadata=_topic_rule())
    """Where the bridge publishes (`pi-pause/state`, ...); give each Pi on one broker its own."""

    discovery_prefix: str = field(default="homeassistant", metadata=_topic_rule())
    """Home Assistant's discovery prefix (its own default is homeassistant)."""

    device_name: str = field(default="pi-pause", metadata=_rule(
        "a name of 1 to 64 printable characters",
        lambda v: 0 < len(v.strip()) <= 64 and v.isprintable()))
    """The device's name in Home Assistant."""


@dataclass(frozen=True)
class Settings:
    """All of pi-pause's settings."""

    listen: ListenSettings = field(default_factory=ListenSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    gpio: GpioSettings = field(default_factory=GpioSettings)
    pause: PauseSettings = field(default_factory=PauseSettings)
    checkin: CheckinSettings = field(default_factory=CheckinSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)

    def resolve(self, path: str) -> Path:
        """A configured path, with relative paths taken from the project folder."""
        p = _expand(path)
        return p if p.is_absolute() else PROJECT_ROOT / p


# The settings that name files or folders: checked when read, so that a path no
# program could open (a NUL byte, "~nosuchuser") is a one-line error naming its key.
PATH_KEYS = (("listen", "vosk_model"), ("voice", "model"), ("paths", "cache_dir"),
             ("paths", "state_dir"), ("paths", "socket"), ("mqtt", "tls_ca"))


def _expand(path: str) -> Path:
    if "\0" in path:
        raise ConfigError(f"{toml_value(path)} holds a NUL character, which no path may; "
                          "retype it")
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "~someone" for a user this machine does not have
        user = path[1:].split("/", 1)[0]
        raise ConfigError(f"{toml_value(path)} starts with ~{user}, but there is no user "
                          f"'{user}' here; write the folder in full, e.g. \"/home/NAME/...\"") from None


def sound_device(value: str) -> int | str | None:
    """An ``input_device``/``output_device`` setting as sounddevice takes it:
    an index for digits, else a name, ``None`` (the system default) when empty."""
    return int(value) if value.strip().isdigit() else (value or None)


def user_config_path() -> Path:
    """A laptop trial's own settings file, in the user's config folder:
    ``$XDG_CONFIG_HOME/pi-pause/config.toml`` (``~/.config/pi-pause/config.toml``)."""
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(home) / "pi-pause" / "config.toml"


def default_config_path() -> Path:
    """The settings file used when no ``--config`` is given: the Pi's
    /etc/pi-pause/config.toml when it exists, else the user's own
    (:func:`user_config_path`), which may not exist yet (then every key has its default).
    ``run``, ``web``, ``config`` and ``doctor`` all ask this one function."""
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else user_config_path()


def load(path: Path | None = None) -> Settings:
    """Read settings from ``path`` (default: :func:`default_config_path`, if it exists)."""
    if path is None:
        path = default_config_path()
        if not path.exists():
            return Settings()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file; create it or drop --config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    return parse(text, source=str(path))


def parse(text: str, source: str = "config") -> Settings:
    """Parse TOML text into :class:`Settings`, or raise a one-line :class:`ConfigError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}); check quotes and brackets") from None
    except RecursionError:  # lists nested thousands deep: no setting looks like that
        raise ConfigError(f"{source}: not valid TOML for pi-pause (lists nested too deep); "
                          "check the brackets") from None
    sections = {f.name: f.type for f in dataclasses.fields(Settings)}
    hints = typing.get_type_hints(Settings)
    built = {}
    for name, table in data.items():
        if name not in sections:
            raise ConfigError(f"{source}: unknown section [{_key(name)}]; "
                              f"allowed sections: {', '.join(sections)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: '{_key(name)}' must be a section written as [{_key(name)}]")
        built[name] = _build(hints[name], table, f"{source}: [{name}]")
    settings = Settings(**built)
    _check_together(settings, source)
    return settings


def _check_together(settings: Settings, source: str) -> None:
    """What no single key can say: paths that can be opened, and pins used once."""
    for section, key in PATH_KEYS:
        value = getattr(getattr(settings, section), key)
        try:
            _expand(value)
        except ConfigError as exc:
            raise ConfigError(f"{source}: [{section}] {key} = {exc}") from None
    pins = settings.gpio
    if pins.led_pin == pins.button_pin:
        raise ConfigError(f"{source}: [gpio] led_pin = {pins.led_pin} is also the button_pin; "
                          "give the LED and the button a pin each (e.g. button_pin = 17, "
                          "led_pin = 18)")


def _build(cls, table: dict, where: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(f"{where} unknown key '{_key(key)}'; allowed keys: {', '.join(fields)}")
        values[key] = _convert(hints[key], fields[key], value, f"{where} {key} = {toml_value(value)}")
    return cls(**values)


def _convert(hint, f: dataclasses.Field, value, where: str):
    rule = f.metadata
    wanted = rule.get("allowed") or _describe(hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list) or not all(_is(item_type, v) for v in value):
            raise ConfigError(f"{where} is not allowed; use {wanted}")
        value = tuple(value)
    elif not _is(hint, value):
        raise ConfigError(f"{where} is not allowed; use {wanted}")
    if hint is float:
        value = float(value)
    if rule and not rule["check"](value):
        raise ConfigError(f"{where} is not allowed; use {wanted}")
    return value


def _is(hint, value) -> bool:
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint) -> str:
    if isinstance(hint, types.GenericAlias):
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    return {bool: "true or false", str: "a quoted string", int: "a whole number",
            float: "a number"}.get(hint, str(hint))


def _key(name: str) -> str:
    """A key or section name as the file must have spelled it (quoted when not bare)."""
    text = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)
    return text if len(text) <= 60 else text[:50] + "..."


def toml_value(value, depth: int = 0) -> str:
    """A value written as it would appear in the TOML file (shortened when very long)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        text = "[...]" if depth >= 3 else "[" + ", ".join(
            toml_value(v, depth + 1) for v in value[:10]) + (", ...]" if len(value) > 10 else "]")
    elif isinstance(value, dict):
        text = "{...}"
    elif isinstance(value, (dt.date, dt.time)):  # TOML dates and times, as written
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 120 else text[:100] + "..." + text[-10:]


def reference() -> list[tuple[str, str, str, str]]:
    """(key, default, allowed, description) for every setting: the README's reference table."""
    import ast
    import inspect

    rows = []
    for section in dataclasses.fields(Settings):
        cls = typing.get_type_hints(Settings)[section.name]
        docs = _field_docs(cls, ast, inspect)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else None
            shown = toml_value(default)
            allowed = f.metadata.get("allowed") or _describe(hints[f.name])
            rows.append((f"[{section.name}] {f.name}", shown, allowed, docs.get(f.name, "")))
    return rows


def reference_markdown() -> str:
    """The settings reference as a Markdown table (kept in the README; a test checks it)."""
    lines = ["| key | default | allowed | what it does |", "| --- | --- | --- | --- |"]
    for key, default, allowed, description in reference():
        cells = [f"`{key}`", f"`{default}`", allowed, description]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _field_docs(cls, ast, inspect) -> dict[str, str]:
    """The docstring written under each field, read from the source."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs = {}
    for node, after in zip(body, body[1:]):
        if (isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs
