"""A full disk, a read-only folder, a write killed half-way: the voice degrades, never dies.

The fault is injected at the one place pi-pause writes files,
:func:`pi_pause.dirs.write_atomically`: ``os.fsync`` raises ENOSPC there, the
way a full SD card answers. Everything else (Piper, the clip cache, the scripts,
the light on mock pins) is real.
"""

from __future__ import annotations

import errno
import os
import random
import subprocess
import sys
import threading

import pytest

from pi_pause import config, dirs
from pi_pause.service.schedule import CheckinSchedule
from pi_pause.voice.clip_cache import ClipCache
from pi_pause.voice.light import Light
from pi_pause.voice.player import MemorySink
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.session import Sessions
from pi_pause.voice.session_clock import FakeClock
from tests.voice_support import settings_for

RETURN = {"return_time": __import__("datetime").datetime(2026, 3, 1, 21, 40)}


@pytest.fixture
def disk_full(monkeypatch):
    """Every durable write fails as on a full card (after the temporary file exists)."""
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_full_disk_at_start_renders_into_memory_and_leaves_no_temporary_file(
        tmp_path, joe_voice, disk_full, caplog):
    cache = ClipCache(tmp_path, joe_voice)
    report = cache.render(["Breathe in.", "Breathe out."])
    assert report.rendered == 2
    assert cache.in_memory == 2
    assert leftovers(tmp_path) == [] and not list(tmp_path.glob("*.clip"))
    # Asked again, the clips come from memory: Piper does not render them twice.
    assert cache.get("Breathe in.").samples.size > 1000
    assert cache.synthesised == 2
    assert sum("keeping them in memory" in r.message for r in caplog.records) == 1


def test_a_full_disk_during_a_pause_still_speaks_every_line(tmp_path, test_prompts, joe_voice,
                                                            disk_full):
    clock = FakeClock()
    sink = MemorySink(clock=clock)
    light = Light(None, clock=clock.now, record=True)
    sessions = Sessions(settings_for(tmp_path), sink, light, clock, prompts=test_prompts,
                        cache=ClipCache(tmp_path / "cache", joe_voice),
                        rotation=Rotation(tmp_path / "rotation.json", random.Random(0)))
    sessions.run("pause", cancel=threading.Event(), skip=threading.Event(), context=RETURN)
    assert len(sink.plays) == 7  # hello, the return time, two cues in each of two sighs, goodbye
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "cache") == []


def test_stale_temporary_files_of_dead_processes_are_cleaned_at_start(tmp_path, joe_voice):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f"abc.clip.{dead}.tmp").write_bytes(b"half a clip")
    (tmp_path / f"rotation.json.{dead}.tmp").write_bytes(b"{")
    alive = tmp_path / f"other.clip.{os.getppid()}.tmp"  # a live render beside us: kept
    alive.write_bytes(b"in progress")
    ClipCache(tmp_path, joe_voice)
    assert leftovers(tmp_path) == [alive.name]


def test_a_failed_atomic_write_removes_its_temporary_file(tmp_path, disk_full):
    with pytest.raises(OSError):
        dirs.write_atomically(tmp_path / "state.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_state_folder_keeps_state_in_memory_instead_of_stopping(tmp_path):
    """The configured state folder is under a file, so it can never be created (this
    works even as root, where read-only permissions do not stop a write)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = config.parse(f'[paths]\nstate_dir = "{blocker}/state"\n')
    with pytest.raises(config.ConfigError):
        dirs.state_dir(settings)  # what `pi-pause doctor` and `render` still report
    assert dirs.state_file(settings, "rotation.json") is None
    assert CheckinSchedule.from_settings(settings).state_file is None


def test_a_cache_folder_that_cannot_be_made_still_lets_a_pause_speak(tmp_path, test_prompts,
                                                                     joe_voice, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = config.parse(f'[paths]\ncache_dir = "{blocker}/cache"\n'
                            f'state_dir = "{tmp_path}/state"\n')
    clock = FakeClock()
    sink = MemorySink(clock=clock)
    sessions = Sessions(settings, sink, Light(None, clock=clock.now), clock, prompts=test_prompts,
                        rotation=Rotation(None, random.Random(0)))
    sessions.run("pause", cancel=threading.Event(), skip=threading.Event(), context=RETURN)
    assert len(sink.plays) == 7
    assert sum("kept in memory only" in r.message for r in caplog.records) == 1


def test_render_still_refuses_a_cache_folder_it_cannot_write(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[paths]\ncache_dir = "{blocker}/cache"\n')
    result = cli("--config", str(config_file), "render")
    assert result.returncode == 2
    assert result.stderr.strip() == (f'pi-pause: [paths] cache_dir = "{blocker}/cache" cannot be '
                                     "written; fix its permissions or choose another folder")
