"""Hostile inputs, generated: settings, prompt files, WAV headers and socket requests.

Hypothesis writes the inputs a careless editor, a damaged card or a prying
neighbour could produce. Whatever it writes, pi-pause answers with its own
one-line error (or accepts the input); never a traceback, never a dead server.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pi_pause import config, wav
from pi_pause.service.control_socket import ControlServer, request
from pi_pause.voice import prompts
from pi_pause.wav_stream import WavStream
from tests.voice_support import TEST_PROMPTS

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def one_line(exc: Exception) -> None:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, text


# -- settings --------------------------------------------------------------------

SECTIONS = {f.name: [k.name for k in dataclasses.fields(getattr(config.Settings(), f.name))]
            for f in dataclasses.fields(config.Settings)}
scalars = st.one_of(
    st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True), st.booleans(),
    st.text(max_size=40), st.sampled_from(["~nosuchuser/x", "a\x00b", "", "21:00", "25:61"]),
    st.times(), st.dates())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=12)


def toml_of(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(toml_of(v) for v in value) + "]"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@st.composite
def config_files(draw) -> str:
    lines = []
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "nope", 'a"b', "x\ny"]),
                                 max_size=3, unique=True)):
        lines.append(f"[{json.dumps(section)}]")
        keys = SECTIONS.get(section, []) + ["bogus", "new\nline"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
            lines.append(f"{json.dumps(key)} = {toml_of(draw(values))}")
    return "\n".join(lines)


@FUZZ
@given(config_files())
def test_any_settings_file_is_accepted_or_refused_in_one_line(text):
    try:
        config.parse(text)
    except config.ConfigError as exc:
        one_line(exc)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_settings_is_accepted_or_refused_in_one_line(text):
    try:
        config.parse(text)
    except config.ConfigError as exc:
        one_line(exc)


# -- prompt files ------------------------------------------------------------------

lines = st.one_of(st.text(max_size=80), st.sampled_from([
    "{hour.real}", "{return_time.year}", "{return_time[0]}", "{", "}", "{}", "{0}",
    "x" * 60_000, "back at {return_time}", "{break_minutes} minutes, then"]))


@FUZZ
@given(line=lines, form=lines)
def test_any_prompt_lines_are_accepted_or_refused_in_one_line(line, form):
    folder = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(TEST_PROMPTS, folder, dirs_exist_ok=True)
        pause = folder / "pause.toml"  # one of five variants replaced: the rest stay valid
        pause.write_text(pause.read_text(encoding="utf-8").replace('"Calm."', json.dumps(line)),
                         encoding="utf-8")
        time_words = folder / "time.toml"
        words = time_words.read_text(encoding="utf-8")
        time_words.write_text(words.replace('o_clock = "{hour} o\'clock"',
                                            f"o_clock = {json.dumps(form)}"), encoding="utf-8")
        try:
            loaded = prompts.load(folder)
        except prompts.PromptError as exc:
            one_line(exc)
        else:
            # Accepted: the time forms must then be sayable, and the lines not too long to say.
            import datetime as dt
            loaded.time.at(dt.time(9, 0))
            said = [v for steps in loaded.scripts.values() for step in steps
                    if isinstance(step, prompts.Say) for v in step.line.variants]
            assert said and all(len(v) <= prompts.MAX_LINE for v in said)
    finally:
        shutil.rmtree(folder)


# -- WAV headers ---------------------------------------------------------------------

@st.composite
def wav_files(draw) -> bytes:
    tag = draw(st.sampled_from([1, 3, 0xFFFE, 0, 2, 65535]))
    channels = draw(st.sampled_from([0, 1, 2, 6, 65535]))
    rate = draw(st.sampled_from([0, 1, 999, 8000, 16000, 44100, 2**32 - 1]))
    bits = draw(st.sampled_from([0, 4, 8, 12, 16, 24, 32, 64, 65535]))
    fmt_size = draw(st.sampled_from([16, 18, 40, 0, 12, 2**32 - 1]))
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * 2 % 2**32, 2, bits)
    fmt += draw(st.binary(max_size=24))
    body = draw(st.binary(max_size=400))
    data_size = draw(st.sampled_from([len(body), 0, 2**32 - 1, len(body) // 2 + 1]))
    chunks = b"fmt " + struct.pack("<I", fmt_size) + fmt
    chunks += b"data" + struct.pack("<I", data_size) + body
    if draw(st.booleans()):
        chunks = b"LIST" + struct.pack("<I", draw(st.integers(0, 2**32 - 1))) + chunks
    return b"RIFF" + struct.pack("<I", len(chunks) + 4) + b"WAVE" + chunks


@FUZZ
@given(wav_files())
def test_any_wav_header_is_read_or_refused_in_one_line(tmp_path, data):
    path = tmp_path / "fuzz.wav"
    path.write_bytes(data)
    try:
        whole = wav.read(path)
    except wav.WavError as exc:
        one_line(exc)
        whole = None
    try:
        with WavStream(path) as stream:
            streamed = sum(len(f) for f in stream.frames(1600))
    except wav.WavError as exc:
        one_line(exc)
        streamed = None
    if whole is not None and streamed is not None:
        assert abs(streamed - len(whole)) <= 64


# -- socket requests -----------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    folder = Path(tempfile.mkdtemp())
    path = folder / "control.sock"
    with ControlServer(path, lambda command: {"ok": True, "state": "idle"}) as srv:
        yield path, srv
    shutil.rmtree(folder)


@FUZZ
@given(st.one_of(st.binary(max_size=2048),
                 st.builds(lambda v: json.dumps(v).encode() + b"\n",
                           st.recursive(st.one_of(st.none(), st.integers(), st.text(max_size=20)),
                                        lambda i: st.one_of(st.lists(i, max_size=3),
                                                            st.dictionaries(st.text(max_size=8),
                                                                            i, max_size=3)),
                                        max_leaves=8))))
def test_any_request_gets_one_json_line_and_the_server_carries_on(server, payload):
    path, _ = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        try:
            sock.sendall(payload + (b"" if payload.endswith(b"\n") else b"\n"))
        except OSError:
            pass  # a request over the limit may be cut off before it is all sent
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    reply = json.loads(answer)
    assert isinstance(reply, dict) and isinstance(reply["ok"], bool)
    if not reply["ok"]:
        assert "\n" not in reply["error"]
    assert request(path, "status") == {"ok": True, "state": "idle"}


# -- the reported cases, each through the command line ---------------------------------

@pytest.mark.parametrize("text, names", [
    ("[listen]\nphrases = " + "[" * 5000 + "]" * 5000, "nested too deep"),
    ('[paths]\ncache_dir = "/var/cache/a\\u0000b"', "[paths] cache_dir"),
    ('[paths]\ncache_dir = "~nosuchuser/cache"', "no user 'nosuchuser'"),
    ("[gpio]\nbutton_pin = 18\nled_pin = 18", "[gpio] led_pin = 18 is also the button_pin"),
    ("[checkin]\ntime = 21:00:00", "[checkin] time = 21:00:00 is not allowed"),
], ids=["deep", "nul", "nosuchuser", "same-pin", "toml-time"])
def test_reported_settings_are_refused_in_one_line_naming_the_key(cli, tmp_path, text, names):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("--config", str(path), "config")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pi-pause: ") and names in lines[0], lines
    assert "datetime" not in lines[0]


def test_doctor_catches_a_pin_used_twice(cli, tmp_path):
    """Like every settings problem, before any other check (the doctor reads the settings)."""
    path = tmp_path / "config.toml"
    path.write_text("[gpio]\nbutton_pin = 18\nled_pin = 18\n", encoding="utf-8")
    result = cli("--config", str(path), "doctor")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"pi-pause: {path}: [gpio] led_pin = 18 is also the button_pin; give the LED and the "
        "button a pin each (e.g. button_pin = 17, led_pin = 18)")


@pytest.mark.parametrize("form, variant, names", [
    ("{hour.real} o'clock", None, "placeholders are plain names like {hour}"),
    (None, "x" * 60_000, "a line of 60000 characters"),
], ids=["attribute", "60000-characters"])
def test_reported_prompt_files_are_refused_in_one_line(tmp_path, form, variant, names):
    shutil.copytree(TEST_PROMPTS, tmp_path, dirs_exist_ok=True)
    if form is not None:
        words = (tmp_path / "time.toml").read_text(encoding="utf-8")
        (tmp_path / "time.toml").write_text(
            words.replace('o_clock = "{hour} o\'clock"', f"o_clock = {json.dumps(form)}"),
            encoding="utf-8")
    if variant is not None:
        pause = (tmp_path / "pause.toml").read_text(encoding="utf-8")
        (tmp_path / "pause.toml").write_text(pause.replace('"Calm."', json.dumps(variant)),
                                              encoding="utf-8")
    with pytest.raises(prompts.PromptError) as caught:
        prompts.load(tmp_path)
    one_line(caught.value)
    assert names in str(caught.value)
