"""Running a script: speech, silences, breathing and the light, on one clock.

:class:`Sessions` is built once at start-up (it reads the prompt files and
finds the render cache, but does not load Piper). ``run`` then plays one
script from start to end::

    sessions = Sessions(settings, SpeakerPlayer(), Light(18))
    sessions.run("pause", cancel=cancel, skip=skip,
                 context={"return_time": return_time(datetime.now(), 20)})

Every step is timed against the clock: a spoken line lasts its audio plus its
``after`` silence; a breathing phase lasts exactly its length, with its cue
playing inside it and the light fading in (breath in) or out (breath out) so
that it arrives at the end of the phase. A ``breathe`` step without ``cycles``
breathes the rest of [pause] breathing_minutes. A ``turns`` step (the
check-in) gives each partner [checkin] turn_minutes with a chime between them.
Setting ``cancel`` stops speech and light within 50 ms; setting ``skip`` moves
on to the next step (in ``turns``, to the next turn).

Two placeholders are said from clips of their own, rendered in advance: the
return time (``context["return_time"]``, a datetime) and the time left in a
break (``context["remaining"]``, whole minutes).

The "sample" script (the settings page's "hear a sample") may name another
packaged voice, ``context={"voice": "heart"}``: its few clips are rendered
by ``prepare()`` too, for every packaged voice, so the couple can compare
voices before choosing one.

Clips come from the render cache. The service should call ``prepare()`` once
at start-up (a background thread is fine): it renders whatever is missing,
loading Piper only if something is, then lets Piper's memory go. A clip still
missing at run time is rendered on the spot (slow, logged once) in a helper
thread, so cancel and skip still act at once; but while ``prepare()`` is still
rendering (a first start), a missing line before the first breath, or a missing
breathing cue, is left out, so that the light starts the breathing on time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from typing import Callable

import numpy as np

from pi_pause import config, dirs
from pi_pause.errors import UserError
from pi_pause.voice.breathing import LOW, cycles_for, timeline
from pi_pause.voice.catalogue import PACKAGED, chosen
from pi_pause.voice.clip_cache import ClipCache, RenderReport
from pi_pause.voice.chime import chime
from pi_pause.voice.session_clock import AnyEvent, RealClock
from pi_pause.voice.prompts import CONFIGURED, KINDS, Breathe, Chime, Prompts, Say, Silence, Turns
from pi_pause.voice.rotation import Rotation
from pi_pause.voice.prompts import load as load_prompts
from pi_pause.voice.spoken_time import grid
from pi_pause.wallclock import return_time
from pi_pause.voice.voice import Clip, Voice

log = logging.getLogger(__name__)

# A line that cannot be spoken is replaced by silence about as long as saying it would take
# (the calm pace measured in docs/benchmarks.md: ~130 words a minute).
WORDS_PER_SECOND = 2.2
SILENT_RATE = 16_000

JOIN_SECONDS = 0.12  # between the words before a spoken time and the time itself
EARLY_MINUTES = 20  # a press this early in a break says the time left (see remaining.toml)
KEEPS_LIGHT = ("pause", "extend", "remaining")  # after these the controller shows the break
UNLIT = ("sample", "enroll")  # only a voice: the light is the controller's (lit while a take is heard)


def said_remaining(minutes: float) -> int:
    """The whole minutes said for ``minutes`` left: rounded up, and above an hour
    up to five minutes, so that a handful of clips covers every case."""
    whole = max(1, int(-(-minutes // 1)))
    return whole if whole <= 60 else -(-whole // 5) * 5


_NOTHING = Clip(np.zeros(0, np.int16), SILENT_RATE)  # a line left unsaid


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"


class _NoLight:
    """What a script that must not touch the light (a voice sample) drives instead."""

    def on(self) -> None:
        pass

    def off(self) -> None:
        pass

    def fade(self, to: float, seconds: float) -> None:
        pass


class _Cancelled(Exception):
    pass


class _Skipped(Exception):
    pass



class Sessions:
    """The three scripts (pause, return, check-in), ready to run."""

    def __init__(self, settings: config.Settings, player, light, clock=None, *,
                 prompts: Prompts | None = None, cache: ClipCache | None = None,
                 rotation: Rotation | None = None):
        self.settings = settings
        self.player = player
        self.light = light
        self.clock = clock or RealClock()
        self.prompts = prompts or load_prompts()
        self.cache = cache or ClipCache(dirs.clip_folder(settings), Voice.from_settings(settings))
        self.rotation = rotation if rotation is not None else Rotation(
            dirs.state_file(settings, "rotation.json"))  # None: a read-only state folder
        self._chime = Clip(chime(self.cache.voice.sample_rate), self.cache.voice.sample_rate)
        self._warned_render = False
        self._warned_voice = False
        self._preparing: tuple[int, int, float] | None = None  # (done, total, started) of prepare()
        # Told each line as the voice starts saying it (a laptop trial prints them). Only
        # the device's own words from prompts/*.toml: nothing heard ever passes here.
        self.on_words: Callable[[str], None] | None = None
        self._sample_caches: dict[str, ClipCache | None] = {}  # other packaged voices

    def voice_cache(self, voice: str | None) -> ClipCache | None:
        """The cache that speaks packaged voice ``voice`` (None: the voice in force), or
        None when that voice cannot be used here (a package missing)."""
        if voice is None or voice == chosen(self.settings):
            return self.cache
        if voice not in PACKAGED:
            raise ValueError(f"unknown voice {voice!r}; expected one of {', '.join(PACKAGED)}")
        if voice not in self._sample_caches:
            try:
                self._sample_caches[voice] = ClipCache(
                    self.cache.directory, Voice.from_settings(self.settings, voice))
            except UserError as exc:
                log.warning("the %s voice cannot give a sample (%s)", voice, exc)
                self._sample_caches[voice] = None
        return self._sample_caches[voice]

    # -- preparing ---------------------------------------------------------

    def texts(self, kinds=KINDS) -> list[str]:
        """Every clip the scripts ``kinds`` can need with the current settings."""
        out: list[str] = []
        tails = {
            "return_time": [self._time_text(dt.datetime.combine(dt.date.today(), t))
                            for t in grid()],
            "remaining": [self._length_text(n) for n in self._remaining_said()],
        }
        for kind in kinds:
            for step in self.prompts.scripts[kind]:
                if isinstance(step, Say):
                    late = step.late.variants if step.late is not None else ()
                    for variant in step.line.variants + late:
                        head, tail = self._split(variant)
                        out += [head] if head else []
                        out += tails[tail] if tail else []
                elif isinstance(step, Turns):
                    out += step.handover.variants
                elif isinstance(step, Breathe):
                    for phase in self._pattern(step).phases:
                        if phase.cue is not None and (self.settings.pause.holds
                                                      or phase.breath != "hold"):
                            out += phase.cue.variants
        return list(dict.fromkeys(out))

    def prepare(self, prune: bool = True, stop: threading.Event | None = None,
                progress=None) -> RenderReport:
        """Render every clip not yet cached (loading Piper only if needed), then let Piper go.
        Setting ``stop`` ends it early; ``progress(done, total)`` follows it
        (see :meth:`ClipCache.render`)."""
        started = time.perf_counter()
        began = time.monotonic()
        texts = self.texts()

        def follow(done: int, total: int) -> None:
            self._preparing = (done, total, began)  # for a pause that starts meanwhile
            if progress is not None:
                progress(done, total)
        try:
            report = self.cache.render(texts, prune=False, stop=stop, progress=follow)
        finally:
            self._preparing = None
        self.cache.voice.unload()
        keep = {self.cache.path(t).name for t in texts}
        samples = self.texts(("sample",))
        for name in PACKAGED:
            cache = self.voice_cache(name)
            if cache is self.cache or cache is None or (stop is not None and stop.is_set()):
                continue
            keep |= {cache.path(t).name for t in samples}
            try:
                other = cache.render(samples, prune=False, stop=stop)
            except Exception as exc:  # another voice's sample must never cost this voice its clips
                log.warning("the %s voice's sample could not be rendered (%s)", name, exc)
                continue
            finally:
                cache.voice.unload()
            report = dataclasses.replace(report, rendered=report.rendered + other.rendered,
                                         cached=report.cached + other.cached,
                                         repaired=report.repaired + other.repaired)
        stopped = stop is not None and stop.is_set()
        pruned = self.cache.prune(keep) if prune and not stopped else 0
        return dataclasses.replace(report, pruned=pruned, seconds=time.perf_counter() - started)

    def preparing(self) -> str | None:
        """While :meth:`prepare` renders (a first start): how far it is, in words; else None."""
        at = self._preparing
        if at is None:
            return None
        done, total, started = at
        if done == 0:
            return f"{total} lines to go"
        left = (total - done) * (time.monotonic() - started) / done
        return f"{done} of {total} lines, about {_minutes(left)} left"

    # -- running -------------------------------------------------------------

    def run(self, kind: str, *, cancel: threading.Event, skip: threading.Event,
            context: dict) -> None:
        """Play script ``kind`` ("pause", "return", "checkin", "sample") until its end or ``cancel``."""
        if kind not in self.prompts.scripts:
            raise ValueError(f"unknown script {kind!r}; expected one of {', '.join(KINDS)}")
        script = self.prompts.scripts[kind]
        cache = self.voice_cache(context.get("voice")) if kind == "sample" else self.cache
        light = _NoLight() if kind in UNLIT else self.light
        light.on()  # first, before anything that could take time
        stop = AnyEvent(cancel, skip)
        # While the voice is still being prepared (a first start), a line not rendered yet
        # before a breathing script's first breath is left unsaid (it renders meanwhile):
        # the light starts the breathing on time.
        run = _Run(self, cancel, skip, stop, context, light, cache or self.cache,
                   before_breath=any(isinstance(step, Breathe) for step in script))
        ahead = run.render_ahead(script)
        try:
            for index, step in enumerate(script):
                try:
                    run.step(step, index)
                except _Skipped:
                    skip.clear()
            if kind not in KEEPS_LIGHT:
                light.off()
        except _Cancelled:
            light.off()
        except BaseException:
            light.off()  # e.g. a broken voice while rendering a missing clip
            raise
        finally:
            ahead.set()
            # Saved here, in this thread, after the voice and the light have stopped (so
            # it never delays a stop), and before the runner reports the end: a SIGTERM
            # that follows cannot kill a half-done save (the service waits for it).
            self.rotation.save()

    # -- helpers used by _Run --------------------------------------------------

    def _pattern(self, step: Breathe):
        name = self.settings.pause.breathing if step.pattern == CONFIGURED else step.pattern
        return self.prompts.patterns[name]

    def _split(self, variant: str) -> tuple[str, str | None]:
        """The line with fixed placeholders filled, cut before its tail placeholder
        ({return_time} or {remaining}) if it has one; returns (head, tail name)."""
        words = self.prompts.time
        text = variant.format(break_minutes=words.length(self.settings.pause.break_minutes),
                              extend_minutes=words.length(self.settings.pause.extend_minutes),
                              return_time="{return_time}", remaining="{remaining}")
        for tail in ("return_time", "remaining"):
            if "{" + tail + "}" in text:
                return text.split("{" + tail + "}", 1)[0].strip(" ,:"), tail
        return text, None

    def _time_text(self, when: dt.datetime) -> str:
        return self.prompts.time.at(when) + "."

    def _length_text(self, minutes: int) -> str:
        return self.prompts.time.length(minutes) + "."

    def _remaining_said(self) -> list[int]:
        """Every time left an early press can say: the break is at most five minutes
        longer than asked (the return time is rounded up), and the press is early."""
        longest = self.settings.pause.break_minutes + 5
        return sorted({said_remaining(n) for n in range(max(1, longest - EARLY_MINUTES - 5),
                                                         longest + 1)})

    def _pieces(self, variant: str, context: dict) -> list[str]:
        """The texts of the clips one spoken line is made of: its words, then a time."""
        head, tail = self._split(variant)
        if tail is None:
            return [head]
        if tail == "remaining":
            said = self._length_text(said_remaining(context.get("remaining", 1)))
        else:
            when = context.get("return_time") or return_time(
                dt.datetime.now(), self.settings.pause.break_minutes)
            said = self._time_text(when)
        return ([head] if head else []) + [said]

    def _words(self, variant: str, context: dict) -> str:
        """The line as it is said, its placeholders filled."""
        return " ".join(self._pieces(variant, context))

    def _speech(self, variant: str, context: dict, clip) -> Clip:
        """The clip for one spoken line; ``clip(text)`` fetches (or renders) one piece."""
        parts = [p for p in (clip(text) for text in self._pieces(variant, context)) if p.samples.size]
        if not parts:
            return _NOTHING
        if len(parts) == 1:
            return parts[0]
        rate = parts[0].rate
        gap = np.zeros(int(JOIN_SECONDS * rate), np.int16)
        joined = [parts[0].samples] + [a for p in parts[1:] for a in (gap, p.samples)]
        return Clip(np.concatenate(joined), rate)


class _Run:
    """One run of a script: the cancel/skip flags and the step players."""

    def __init__(self, sessions: Sessions, cancel, skip, stop, context, light, cache: ClipCache,
                 before_breath: bool = False):
        self.s, self.cancel, self.skip, self.stop, self.context = sessions, cancel, skip, stop, context
        self.cache = cache  # the voice in force, or another voice's for its sample
        self.picks: dict[int, str] = {}  # step index -> the variant picked ahead of time
        self.clock = sessions.clock
        self.light = light
        self.before_breath = before_breath  # a breathing script whose first breath is to come
        self.breathed = 0  # breathing cycles so far in this script

    def render_ahead(self, steps) -> threading.Event:
        """With a cold cache (a first start, a new voice), render the clips of the coming
        lines and of the first breaths in a helper thread, in the order they are said, so
        they render while the voice speaks instead of between lines (the first breath comes
        within 10 s of the trigger even then). Setting the returned event stops it after
        the clip in hand."""
        done = threading.Event()
        # Every line's variant is picked at the start, warm or cold, so the picks (and the
        # clips they need) never depend on what the cache holds.
        self.picks = {i: self._pick(st) for i, st in enumerate(steps) if isinstance(st, Say)}
        if not self.picks:
            return done
        first = self.s._pieces(self.picks[min(self.picks)], self.context)[0]
        if self.cache.load(first) is not None:
            return done  # warm: nothing to do ahead
        texts: list[str] = []
        breathed = False
        for index, step in enumerate(steps):
            if isinstance(step, Say):
                texts += self.s._pieces(self.picks[index], self.context)
            elif isinstance(step, Breathe) and not breathed:
                breathed = True  # the first breath's cues, every variant: any may be picked
                for phase in self.s._pattern(step).phases:
                    if phase.cue is not None and (self.s.settings.pause.holds or phase.breath != "hold"):
                        texts += phase.cue.variants

        def render() -> None:
            for text in dict.fromkeys(texts):
                if done.is_set():
                    return
                try:
                    self.cache.get(text)
                except Exception:  # said by the step itself when it comes (or its silence)
                    return

        threading.Thread(target=render, name="render-ahead", daemon=True).start()
        return done

    def _pick(self, step: Say) -> str:
        today = self.context.get("today") or dt.date.today()
        line = step.for_context(self.context)  # e.g. the words for a return after a restart
        return self.s.rotation.pick(line, today=today, days=step.no_repeat_days)

    def step(self, step, index: int | None = None) -> None:
        self._check()
        if isinstance(step, Say):
            start = self.clock.now()
            variant = self.picks.pop(index, None) or self._pick(step)
            clip = self.s._speech(variant, self.context, self._clip)
            self._play(clip, self.s._words(variant, self.context))
            self._wait_until(start + clip.seconds + step.after)
        elif isinstance(step, Breathe):
            self._breathe(step)
        elif isinstance(step, Turns):
            self._turns(step)
        elif isinstance(step, Silence):
            self._wait_until(self.clock.now() + step.seconds)
        elif isinstance(step, Chime):
            start = self.clock.now()
            self._play(self.s._chime)
            self._wait_until(start + self.s._chime.seconds)

    def _turns(self, step: Turns) -> None:
        """Each partner's turn, a chime and a hand-over line between them, a chime after.
        A skip ends only the turn it falls in."""
        seconds = self.s.settings.checkin.turn_minutes * 60
        for turn in (1, 2):
            try:
                self._wait_until(self.clock.now() + seconds)
            except _Skipped:
                self.skip.clear()
            self.step(Chime())
            if turn == 1:
                self._say_line(step.handover, after=0.5)

    def _say_line(self, line, after: float) -> None:
        start = self.clock.now()
        words = self.s.rotation.pick(line)
        clip = self._clip(words)
        self._play(clip, words)
        self._wait_until(start + clip.seconds + after)

    def _breathe(self, step: Breathe) -> None:
        pause = self.s.settings.pause
        pattern = self.s._pattern(step)
        cycles = step.cycles
        if cycles is None:  # the rest of the configured minutes
            cycles = cycles_for(pattern, pause.breathing_minutes, pause.holds) - self.breathed
            if cycles <= 0:
                return
        self.breathed += cycles
        self.before_breath = False
        phases = timeline(pattern, cycles, holds=pause.holds)
        light = self.light
        t0 = self.clock.now()
        if phases and phases[0].breath == "in":
            light.fade(LOW, 0.0)  # each breath in grows from the bottom
        try:
            for phase in phases:
                self._wait_until(t0 + phase.start)
                end = t0 + phase.end
                if phase.breath != "hold":
                    # Fade so the light arrives at the phase's end even if we start late.
                    light.fade(phase.level, max(0.0, end - self.clock.now()))
                if phase.cue is not None:
                    words = self.s.rotation.pick(phase.cue)
                    self._play(self._clip(words, in_time=True), words)
                self._wait_until(end)
        finally:
            if not self.cancel.is_set():
                light.fade(1.0, 1.0)  # back to steady: the voice speaks again

    def _clip(self, text: str, in_time: bool = False) -> Clip:
        """A clip from the cache; one that is missing is rendered in a helper thread,
        so that even then a cancel is obeyed at once (the render finishes and is kept).

        While the voice is still being prepared (a first start), a missing breathing cue
        (``in_time``), or a missing line before a breathing script's first breath, is left
        out instead: rendering it could hold the breathing back by many seconds. The
        preparation renders it for next time."""
        cache = self.cache
        found = cache.load(text)
        if found is not None:
            return found
        preparing = self.s.preparing()
        if not self.s._warned_render:
            self.s._warned_render = True
            if preparing is not None:  # a first start: every clip is being rendered now
                log.warning("the voice is still being prepared (%s); until it is ready the "
                            "light leads the breathing and a line not ready yet is left out "
                            "or comes late", preparing)
            else:
                log.warning("a clip is not rendered yet; rendering it now "
                            "(run `pi-pause render` after changing prompts or the voice)")
        if preparing is not None and (in_time or self.before_breath):
            return _NOTHING
        result: dict = {}

        def render():
            try:
                result["clip"] = cache.get(text)
            except BaseException as exc:  # handed to the session thread below
                result["error"] = exc

        worker = threading.Thread(target=render, name="render", daemon=True)
        worker.start()
        while worker.is_alive():
            self._check()
            worker.join(0.01)
        error = result.get("error")
        if isinstance(error, Exception):
            return self._unspoken(text, error)
        if error is not None:
            raise error
        return result["clip"]

    def _unspoken(self, text: str, error: Exception) -> Clip:
        """Silence as long as ``text`` would take to say: a voice that cannot speak (a broken
        model, a full disk) must not end the pause, so its timings and light go on."""
        if not self.s._warned_voice:
            self.s._warned_voice = True
            log.error("the voice cannot speak (%s); the light guides on its own", error)
        seconds = max(0.5, len(text.split()) / WORDS_PER_SECOND)
        return Clip(np.zeros(int(seconds * SILENT_RATE), np.int16), SILENT_RATE)

    def _play(self, clip: Clip, words: str | None = None) -> None:
        if clip.samples.size == 0:
            self._check()
            return
        if words is not None and self.s.on_words is not None:
            self.s.on_words(words)
        volume = self.s.settings.voice.volume
        samples = clip.samples if volume >= 1.0 else (clip.samples * volume).astype(np.int16)
        self.s.player.play(samples, clip.rate, self.stop)
        self._check()

    def _wait_until(self, deadline: float) -> None:
        while True:
            self._check()
            left = deadline - self.clock.now()
            if left <= 0:
                return
            self.clock.wait(left, self.stop)

    def _check(self) -> None:
        if self.cancel.is_set():
            raise _Cancelled
        if self.skip.is_set():
            raise _Skipped
