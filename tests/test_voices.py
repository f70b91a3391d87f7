"""Choosing a voice: joe (Piper) and heart (hibari), rendered for real behind one seam."""

import random
import re
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
from tests.voice_support import TEST_PROMPTS, settings_for

from pi_pause import config
from pi_pause.voice import catalogue, prompts
from pi_pause.voice.clip_cache import ClipCache
from pi_pause.voice.engine import SpeechEngine, VoiceError
from pi_pause.voice.hibari_engine import HibariEngine
from pi_pause.voice.breathing import timeline
from pi_pause.voice.light import Light
from pi_pause.voice.loudness import TARGET_LUFS, loudness
from pi_pause.voice.piper_engine import PiperEngine
from pi_pause.voice.player import MemorySink
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.session import Sessions
from pi_pause.voice.session_clock import FakeClock
from pi_pause.voice.voice import SENTENCE_GAP_SECONDS, Voice

# Three sentences in the pause's words, 30 of them: long enough for a steady pace.
LINE = ("Let's both stop here, just for now. Each of you, find somewhere calm to be for a "
        "while. We will come back to this together, when we are both ready.")
WORDS = len(re.findall(r"[a-z']+", LINE.lower()))


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    """Both packaged voices at the default settings, each with a cache of its own."""
    tmp = tmp_path_factory.mktemp("voices")
    return {name: Voice.from_settings(settings_for(tmp, voice={"model": name}))
            for name in ("joe", "heart")}


@pytest.mark.parametrize("name, rate", [("joe", 22050), ("heart", 24000)])
def test_each_packaged_voice_speaks_a_line_at_a_calm_pace_and_minus_23_lufs(
        voices, name, rate):
    clip = voices[name].synthesize(LINE)
    assert clip.rate == rate
    pace = 60 * WORDS / clip.seconds
    # This line's long sentences read at about 145 with either voice (whole scripts: 126-140,
    # docs/benchmarks.md); a pace set wrongly for one voice would be far off.
    assert 125 <= pace <= 160, f"{name}: {pace:.0f} words a minute"
    assert loudness(clip.samples / 32768, rate) == pytest.approx(TARGET_LUFS, abs=1.0)
    # The shared sentence pause: at least two silences of SENTENCE_GAP_SECONDS inside the line.
    quiet = np.abs(clip.samples) < 0.001 * 32767
    runs, length = [], 0
    for q in quiet:
        length = length + 1 if q else 0
        if length == int(SENTENCE_GAP_SECONDS * rate) - 2:
            runs.append(True)
    assert len(runs) >= 2


def test_both_engines_satisfy_the_seam_and_nothing_loads_until_they_speak():
    settings = config.Settings()
    joe = catalogue.open_engine(settings, "joe")
    heart = catalogue.open_engine(settings, "heart")
    assert isinstance(joe, PiperEngine) and isinstance(heart, HibariEngine)
    for engine in (joe, heart):
        assert isinstance(engine, SpeechEngine)
        assert not engine.loaded
    assert catalogue.open_engine(settings).__class__ is PiperEngine  # empty: joe, as before


def test_the_cache_key_follows_the_voice_and_its_pace(tmp_path):
    keys = {(model, scale): ClipCache(tmp_path, Voice.from_settings(
        settings_for(tmp_path, voice={"model": model, "length_scale": scale}))).key("Breathe in.")
        for model in ("joe", "heart") for scale in (1.4, 1.55)}
    assert len(set(keys.values())) == 4


def test_a_pause_spoken_by_heart_keeps_the_same_timeline_as_joe(tmp_path, test_prompts, voices):
    """The light and the breathing are driven by the clock, not by the voice: with either
    voice each breath phase starts exactly when its cue is played."""
    def pause(name):
        clock = FakeClock()
        sink = MemorySink(clock=clock)
        light = Light(None, clock=clock.now, record=True)
        cache = ClipCache(tmp_path / "cache", voices[name])
        sessions = Sessions(settings_for(tmp_path), sink, light, clock, prompts=test_prompts,
                            cache=cache, rotation=Rotation(None, random.Random(0)))
        sessions.run("pause", cancel=threading.Event(), skip=threading.Event(), context={})
        return sink, light

    phases = timeline(test_prompts.patterns["cyclic-sigh"], cycles=2)
    for name, rate in (("joe", 22050), ("heart", 24000)):
        sink, light = pause(name)
        assert sink.rate == rate
        breath_start = sink.plays[2][0]  # the first cue: the first breath in
        fades = [p.t0 - breath_start for p in light.history if p.seconds > 0][:len(phases)]
        assert fades == pytest.approx([p.start for p in phases], abs=1e-9)
        cues = [t - breath_start for t, _, _ in sink.plays[2:2 + sum(1 for p in phases if p.cue)]]
        assert cues == pytest.approx([p.start for p in phases if p.cue], abs=1e-9)


def test_a_sample_of_the_other_voice_plays_in_that_voice_and_prepare_keeps_both(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(TEST_PROMPTS, folder)
    text = (folder / "pause.toml").read_text()  # no spoken times: 150 clips fewer
    (folder / "pause.toml").write_text(text[:text.index('[[step]]\nsay = "when"')]
                                       + text[text.index("[[step]]\nbreathe"):])
    for script in ("extend", "remaining"):
        (folder / f"{script}.toml").write_text(
            '[[step]]\nsay = "x"\nvariants = ["More.", "Extra.", "Longer.", "Sure.", "Yes."]\n')
    settings = settings_for(tmp_path, voice={"model": "heart"})
    sink = MemorySink(clock=FakeClock())
    sessions = Sessions(settings, sink, Light(None), FakeClock(), prompts=prompts.load(folder),
                        rotation=Rotation(None, random.Random(0)))
    sessions.prepare()
    joe = sessions.voice_cache("joe")
    assert all(joe.load(t) is not None for t in sessions.texts(("sample",)))
    sessions.run("sample", cancel=threading.Event(), skip=threading.Event(),
                 context={"voice": "joe"})
    assert sink.rate == 22050 and joe.synthesised == 5  # rendered by prepare, played from it
    sessions.run("sample", cancel=threading.Event(), skip=threading.Event(), context={})
    assert sink.plays[-1][2] == 24000  # the voice in force
    again = sessions.prepare()  # pruning keeps the other voice's samples
    assert again.rendered == 0 and again.pruned == 0


def test_an_unknown_voice_name_is_refused_in_one_line_naming_the_choices():
    with pytest.raises(config.ConfigError) as info:
        config.parse('[voice]\nmodel = "emma"\n')
    assert str(info.value) == ('config: [voice] model = "emma" is not allowed; use "joe" (a '
                               'man\'s voice), "heart" (a woman\'s voice) or the path of a '
                               'Piper .onnx voice')
    with pytest.raises(VoiceError, match='"fenrir" is not a voice pi-pause has'):
        catalogue.open_engine(config.Settings(), "fenrir")
    assert config.parse('[voice]\nmodel = "voices/my.onnx"\n').voice.model == "voices/my.onnx"


@pytest.mark.parametrize("command", [["doctor"], ["config"]])
def test_doctor_and_config_refuse_an_unknown_voice_in_one_line(cli, tmp_path, command):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[voice]\nmodel = "emma"\n')
    result = cli("--config", str(cfg), *command)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'pi-pause: {cfg}: [voice] model = "emma" is not allowed; use "joe" (a man\'s voice), '
        '"heart" (a woman\'s voice) or the path of a Piper .onnx voice']


def test_doctor_checks_the_chosen_voice(tmp_path):
    from pi_pause.commands.doctor import check_voice

    heart = check_voice(settings_for(tmp_path, voice={"model": "heart"}), None)
    assert (heart.status, heart.message) == ("ok", "heart (hibari, packaged in hibari-tts)")
    joe = check_voice(settings_for(tmp_path), None)
    assert joe.status == "ok" and joe.message.startswith("joe (Piper en_US-joe-medium")
    gone = check_voice(settings_for(tmp_path, voice={"model": str(tmp_path / "x.onnx")}), None)
    assert gone.status == "FAIL" and "no such Piper voice file" in gone.message


def test_pi_pause_voice_chooses_in_the_settings_file_and_keeps_its_comments(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("# ours\n[voice]\nvolume = 0.5\n")
    chosen = cli("--config", str(cfg), "voice", "heart")
    assert chosen.returncode == 0, chosen.stderr
    assert cfg.read_text() == '# ours\n[voice]\nvolume = 0.5\nmodel = "heart"\n'
    listing = cli("--config", str(cfg), "voice")
    assert "* heart  a woman's voice" in listing.stdout and "  joe    a man's voice" in listing.stdout
    refused = cli("--config", str(cfg), "voice", "kore")
    assert refused.returncode == 2 and 'model = "kore" is not allowed' in refused.stderr
    assert 'model = "heart"' in cfg.read_text()


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network used")
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
socket.getaddrinfo = refuse
from pi_pause import config
from pi_pause.voice.voice import Voice
clip = Voice.from_settings(config.parse('[voice]\\nmodel = "heart"\\n')).synthesize("Breathe in.")
print(clip.rate, round(clip.seconds, 2))
"""


def test_heart_speaks_with_no_network_and_downloads_nothing(tmp_path):
    home = tmp_path / "hibari-home"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HIBARI_HOME": str(home),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": "."}
    done = subprocess.run([sys.executable, "-c", NO_NETWORK], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rate, seconds = done.stdout.split()
    assert rate == "24000" and 0.5 < float(seconds) < 2.0
    assert not home.exists()  # hibari's download folder: never made
    assert not list((tmp_path / "cache").glob("**/*hibari*")) and not list(tmp_path.glob("*.onnx"))


def test_pi_pause_voice_without_config_writes_the_settings_file_in_force(tmp_path, monkeypatch, capsys):
    # On a laptop there is no /etc/pi-pause/config.toml: the choice goes into the user's own
    # settings file, the one run, web and config read (config.default_config_path).
    from types import SimpleNamespace

    from pi_pause.commands.speak import voice_command

    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", tmp_path / "etc" / "config.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))
    assert voice_command(SimpleNamespace(name="heart", config=None), config.Settings()) == 0
    mine = tmp_path / "home-config" / "pi-pause" / "config.toml"
    assert config.load(mine).voice.model == "heart"
    assert not (tmp_path / "etc").exists()
    assert f"in {mine};" in capsys.readouterr().out
