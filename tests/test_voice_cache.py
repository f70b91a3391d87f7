"""The voice and its render cache, with real Piper."""

import json
import shutil

import numpy as np
import pytest

from pi_pause.voice.clip_cache import ClipCache
from pi_pause.voice.engine import VoiceError
from tests.voice_support import piper

TEXTS = ["Breathe in.", "And out."]


def test_voice_speaks_a_trimmed_clip_at_the_voices_rate(joe_voice):
    clip = joe_voice.synthesize("Let's take a pause.")
    assert clip.rate == 22050
    assert clip.samples.dtype == np.int16
    assert 0.6 < clip.seconds < 3.0
    # Piper's own padding is trimmed: speech starts and ends within a few tens of ms.
    loud = np.flatnonzero(np.abs(clip.samples) > 0.01 * 32767)
    assert loud[0] / clip.rate < 0.05
    assert (len(clip.samples) - loud[-1]) / clip.rate < 0.05


def test_second_render_synthesises_nothing_and_reports_no_progress(tmp_path, joe_voice):
    cache = ClipCache(tmp_path, joe_voice)
    followed = []
    first = cache.render(TEXTS, progress=lambda done, total: followed.append((done, total)))
    assert (first.rendered, first.cached) == (2, 0)
    assert followed == [(0, 2), (1, 2), (2, 2)]
    again = ClipCache(tmp_path, piper(joe_voice.engine.model, joe_voice.engine.length_scale))
    followed.clear()
    second = again.render(TEXTS, progress=lambda done, total: followed.append((done, total)))
    assert followed == []  # a second start has nothing to prepare, so nothing to say about it
    assert (second.rendered, second.cached) == (0, 2)
    assert again.synthesised == 0
    assert not again.voice.loaded  # a warm cache never loads Piper
    assert np.array_equal(again.get("Breathe in.").samples, cache.get("Breathe in.").samples)


def test_a_stop_during_rendering_ends_it_after_the_clip_in_hand_and_prunes_nothing(tmp_path,
                                                                                   joe_voice):
    import threading

    stale = tmp_path / ("0" * 16 + ".clip")
    cache = ClipCache(tmp_path, joe_voice)
    cache.render(TEXTS[:1])
    stale.write_bytes(b"a clip of an older script")
    stop = threading.Event()

    class StopAfterOne:
        """The real voice; asks for the stop as soon as it has rendered one clip."""

        def __getattr__(self, name):
            return getattr(joe_voice, name)

        def synthesize(self, text):
            try:
                return joe_voice.synthesize(text)
            finally:
                stop.set()

    report = ClipCache(tmp_path, StopAfterOne()).render(TEXTS + ["Let your shoulders drop."],
                                                         stop=stop)
    assert (report.cached, report.rendered, report.pruned) == (1, 1, 0)
    assert stale.exists()


@pytest.mark.parametrize("damage", ["flip a byte", "cut in half", "empty"])
def test_damaged_cache_file_is_detected_and_rendered_again(tmp_path, joe_voice, damage):
    cache = ClipCache(tmp_path, joe_voice)
    good = cache.get("Breathe in.")
    path = cache.path("Breathe in.")
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[len(data) // 2] ^= 0xFF
    elif damage == "cut in half":
        data = data[: len(data) // 2]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))

    assert cache.load("Breathe in.") is None
    before = cache.synthesised
    clip = cache.get("Breathe in.")
    assert cache.synthesised == before + 1
    assert cache.repaired == 1
    assert abs(clip.seconds - good.seconds) < 0.3
    assert cache.load("Breathe in.") is not None  # the new file is whole


def test_writes_leave_no_temporary_files_and_leftovers_are_pruned(tmp_path, joe_voice):
    cache = ClipCache(tmp_path, joe_voice)
    cache.render(TEXTS)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".clip", ".clip"]
    # What a power cut in the middle of a write would leave behind:
    (tmp_path / (cache.key("Breathe in.") + ".clip.999.tmp")).write_bytes(b"PPCLIP1\0half")
    report = cache.render(TEXTS)
    assert report.rendered == 0 and report.pruned == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_stale_clips_are_pruned(tmp_path, joe_voice):
    cache = ClipCache(tmp_path, joe_voice)
    cache.render(TEXTS)
    report = cache.render(TEXTS[:1])
    assert report.pruned == 1
    assert cache.load("And out.") is None and cache.load("Breathe in.") is not None


def test_cache_key_follows_text_voice_and_pace(tmp_path, joe_voice):
    slower = piper(joe_voice.engine.model, length_scale=1.3)
    a, b = ClipCache(tmp_path, joe_voice), ClipCache(tmp_path, slower)
    assert a.key("Breathe in.") != a.key("Breathe out.")
    assert a.key("Breathe in.") != b.key("Breathe in.")
    copy = tmp_path / "copy.onnx"
    shutil.copy(joe_voice.engine.model, copy)
    shutil.copy(joe_voice.engine.config_path, f"{copy}.json")
    assert ClipCache(tmp_path, piper(copy, 1.15)).key("Breathe in.") != a.key("Breathe in.")


def test_missing_voice_file_is_one_line_naming_the_path(tmp_path):
    with pytest.raises(VoiceError, match=f"{tmp_path}/nope.onnx: no such Piper voice file"):
        piper(tmp_path / "nope.onnx")


def test_voice_without_its_json_is_refused_naming_the_json(tmp_path):
    model = tmp_path / "v.onnx"
    model.write_bytes(b"x")
    with pytest.raises(VoiceError, match=r"v\.onnx\.json: missing"):
        piper(model)


def test_broken_voice_file_is_one_line_naming_the_path(tmp_path, joe_voice):
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"this is not an onnx model" * 10)
    (tmp_path / "broken.onnx.json").write_text(joe_voice.engine.config_path.read_text())
    voice = piper(model)
    with pytest.raises(VoiceError) as info:
        voice.synthesize("hello")
    message = str(info.value)
    assert message.startswith(f"{model}: Piper cannot load this voice")
    assert "\n" not in message


def test_broken_voice_config_is_refused(tmp_path):
    model = tmp_path / "v.onnx"
    model.write_bytes(b"x")
    (tmp_path / "v.onnx.json").write_text(json.dumps({"audio": {}}))
    with pytest.raises(VoiceError, match="not a Piper voice config"):
        piper(model)


def test_say_writes_speech_to_a_wav(cli, tmp_path):
    from pi_pause import wav

    out = tmp_path / "hello.wav"
    result = cli("-v", "say", "Hello", "there.", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "phonemes" not in result.stderr  # -v is about pi-pause, not Piper's internals
    samples = wav.read(out)
    assert len(samples) / 16000 > 0.4
    assert np.abs(samples).max() > 3000


def test_say_with_a_missing_voice_is_a_one_line_error(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[voice]\nmodel = "{tmp_path}/gone.onnx"\n')
    result = cli("--config", str(cfg), "say", "hi", "--out", str(tmp_path / "x.wav"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pi-pause: {tmp_path}/gone.onnx: no such Piper voice file; set [voice] model to an "
        ".onnx voice, or to \"joe\" or \"heart\""]


def test_say_without_a_speaker_is_a_one_line_error(cli, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[voice]\noutput_device = "no-such-speaker"\n')
    result = cli("--config", str(cfg), "say", "hi")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("pi-pause:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert "cannot play through the speaker" in errors[0]
    assert "no-such-speaker" in errors[0]
    assert "loading Piper" not in result.stderr  # found out before the slow part
