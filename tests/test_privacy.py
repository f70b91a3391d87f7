"""The README's privacy promise, checked where it can be checked from the code.

"No audio is kept": the only places that write audio write the device's *own*
voice, and only when asked (``pi-pause say --out``, ``preview``, ``run
--sound-dir``). This test reads every module and lists each call that writes
a sound file; a new one fails here until someone has looked at what it writes
and added it below with the reason. (That no words are logged is checked
where the logging happens: tests/test_controller.py and the spotter's tests.)
"""

from __future__ import annotations

import ast
import json

from tests.conftest import ROOT

# module -> why it may write audio. Never the microphone's.
MAY_WRITE_AUDIO = {
    "wav.py": "the WAV writer itself",
    "commands/speak.py": "`pi-pause say --out FILE`: the device's own voice, on request",
    "voice/player.py": "WavSink: the device's own voice (tests, preview, `run --sound-dir`)",
    "ear/phrase_data.py": "`phrase train`: synthesised training speech, in a temporary folder",
    "ear/phrase_model.py": "`phrase train`: the classifier's weights (numbers, not audio)",
    "ear/enrollment.py": "an enrolled voice: derived features (numbers, not audio; "
                         "test_enrolled_voices_are_numbers_never_audio_nor_text reads them)",
    "ear/voiceprint.py": "enrollment's bank of synthetic talk in the cache folder: Piper's "
                         "voice and its embeddings, never the microphone's",
}


def audio_writes(tree: ast.AST) -> list[str]:
    """Calls such as wav.write(...), wave.open(..., "wb"), np.save(...), x.tofile(...)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
        name = node.func.attr
        mode = next((a.value for a in node.args[1:2] if isinstance(a, ast.Constant)), "")
        if ((owner, name) in {("wav", "write"), ("sf", "write"), ("soundfile", "write")}
                or (owner == "wave" and name == "open" and "w" in str(mode))
                or (owner in {"np", "numpy"} and name.startswith("save"))
                or name == "tofile"):
            found.append(f"{owner}.{name} (line {node.lineno})")
    return found


def test_only_the_devices_own_voice_is_ever_written_as_audio():
    writers = {}
    for module in sorted((ROOT / "pi_pause").rglob("*.py")):
        calls = audio_writes(ast.parse(module.read_text(), str(module)))
        if calls:
            writers[module.relative_to(ROOT / "pi_pause").as_posix()] = calls
    unexpected = {name: calls for name, calls in writers.items() if name not in MAY_WRITE_AUDIO}
    assert not unexpected, (f"these modules write audio: {unexpected}; the service must never "
                            "write what the microphone hears (README, Privacy)")
    assert {"wav.py", "voice/player.py"} <= set(writers)  # the scan finds writers in every wing


def test_the_scan_would_catch_a_recording_being_saved():
    leak = "def listen(mic):\n    wav.write('heard.wav', mic.read(1.0), 16000)\n"
    assert audio_writes(ast.parse(leak)) == ["wav.write (line 2)"]
    assert audio_writes(ast.parse("import wave\nwave.open('x.wav', 'wb')\n")) == ["wave.open (line 2)"]
    assert audio_writes(ast.parse("wave.open('x.wav', 'rb')\n")) == []


# What leaves the house over MQTT: states, times, health, and how a pause began. Never a
# word that was heard (the phrase included), a score, a transcript or a sound.
FORBIDDEN_KEYS = {"phrase", "text", "words", "transcript", "partial", "score", "scores",
                  "confidence", "audio", "samples", "who"}


def test_no_word_said_reaches_any_mqtt_payload(tmp_path):
    from pi_pause.events import PhraseHeard
    from tests.mqtt_house import House
    from tests.test_listener import CountingSpotter

    class HearsTheirPhrase(CountingSpotter):
        def feed(self, frame):
            heard = super().feed(frame)
            return PhraseHeard("pineapple sunrise", heard.time) if heard else None

    house = House(tmp_path, phrase="pineapple sunrise")
    house.spotter = HearsTheirPhrase()
    try:
        house.set_password()
        house.start_service()
        house.start_bridge()
        heard = house.listener
        heard.wait_for("pi-pause/state", "idle", timeout=8)
        house.spotter.fire.set()  # the ear hears the couple's phrase
        assert json.loads(heard.wait_for("pi-pause/event")) == {"event_type": "pause_started",
                                                                 "how": "phrase"}
        heard.publish("pi-pause/command", "stop")
        heard.wait_for("pi-pause/event", '{"event_type": "break_ended"}')
        heard.publish("pi-pause/command", "checkin")
        heard.wait_for("pi-pause/event", '{"event_type": "checkin_ended"}')
        messages = heard.heard()
        log = "\n".join(house.bridge_log())
    finally:
        house.close()
    assert len(messages) > 20 and sum(t == "pi-pause/event" for t, _, _ in messages) == 4
    for topic, payload, _ in messages:
        for word in ("pineapple", "sunrise"):
            assert word not in topic.lower() and word not in payload.lower(), (topic, payload)
        if payload.startswith("{"):
            assert not FORBIDDEN_KEYS & set(_keys(json.loads(payload))), (topic, payload)
    assert "pineapple" not in log and "sunrise" not in log


def _keys(value) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value] + [k for v in value.values() for k in _keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


# An enrolled voice is kept as numbers. No axis of any kept array may be as long as a
# quarter second of audio at 16 kHz: a take's samples, at any rate a microphone uses, would be.
AUDIO_LENGTH = 4000


def test_enrolled_voices_are_numbers_never_audio_nor_text(tmp_path, enrollment_cache):
    import os
    import stat

    import numpy as np

    from pi_pause import config, wav
    from pi_pause.ear import enrollment, voiceprint
    from tests import speech

    settings = config.parse(f'[paths]\nstate_dir = "{tmp_path}"\n')
    takes = [speech.english(speech.PHRASE, pace) for pace in (0.9, 1.0, 1.1)]
    numbers = voiceprint.adapt(takes, speech.PHRASE, cache=enrollment_cache)
    path = enrollment.save(settings, "Robin", numbers, takes=3, phrase="Let's take a pause!")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    raw = path.read_bytes()
    for word in ("pause", "let's take a"):  # as UTF-8, and as numpy keeps text (UTF-32)
        assert word.encode() not in raw.lower() and word.encode("utf-32-le") not in raw.lower()
    for take in takes:  # no stretch of a take's samples, as the int16 a WAV would hold
        middle = wav.to_int16(take)[len(take) // 2:len(take) // 2 + 32].tobytes()
        assert middle not in raw
    with np.load(path, allow_pickle=False) as kept:
        for name in kept.files:
            assert max(kept[name].shape, default=0) < AUDIO_LENGTH, (name, kept[name].shape)
            assert kept[name].dtype.kind != "U" or name in ("meta_name", "meta_phrase_sha256")
        assert str(kept["meta_name"]) == "Robin"
    assert enrollment.load(settings).people[0].takes == 3
