"""The controller: one thread that owns the state and decides what every event means.

Producers (the phrase listener, the button, the check-in timer, the control
socket) only :meth:`Controller.post` small events; nothing else changes state, so
there are no races between a button press and a detection arriving together.

The states and the pause protocol::

    idle --phrase / press / "trigger pause"--> pausing       LED on; acknowledgement with the
                                                             return time, guided breathing
    pausing --script ends--------------------> on_break      dim slow pulse, quiet
    on_break --press in its first 20 min-----> on_break      the voice says the time left and
                                                             that a long press ends the break
    on_break --return time / later press-----> returning     return cue, reconnection prompt
    returning --press------------------------> on_break      10 more minutes, said with the new time
    returning --cue ends, window passes------> idle          LED off
    idle --check-in due / "trigger checkin"--> checking_in   a press moves on to the next turn
    any --long press / "trigger stop"--------> idle          everything stops at once
    idle --"sample" (the settings page)-------> sampling      the voice only, never the light;
                                                             a pause or check-in cuts it at once
    idle --"enroll-cue" (a take to learn------> enrolling     "say your phrase after the tone",
          a voice: pi_pause.service.enrolling)               then the LED on while it listens;
    enrolling --"enroll-end"-----------------> idle          a pause or check-in cuts it at once

A short press skips to the next step of a spoken session. Early in a break it
does not end the break: time to calm down is slower than it feels, and one
partner's press must not cut the other's break short. Holding the button ends
it, as it ends everything. A second trigger
during a pause does not restart it; a check-in that falls due during a pause is
skipped. While the device speaks, detections are ignored (see :mod:`pi_pause.echo`).

Spoken sessions run in a worker thread (:mod:`pi_pause.service.session_runner`), so the
controller stays free to react: a long press sets the session's ``cancel`` event
and the voice stops within 50 ms. An error inside a session is logged and the
controller goes back to idle; it never takes the service down.

``sessions`` is anything with ``run(kind, *, cancel, skip, context)`` and
``light`` anything with ``on()``, ``off()`` and ``pulse_slow()`` (the contracts of
:mod:`pi_pause.voice.session` and :mod:`pi_pause.voice.light`). ``clock`` is a
:class:`~pi_pause.wallclock.SystemClock` or, in tests, a :class:`~pi_pause.wallclock.ManualClock`
that makes a 20-minute break pass instantly.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from pi_pause.wallclock import later, return_time
from pi_pause.config import PauseSettings
from pi_pause.echo import EchoGuard
from pi_pause.service.pause_record import PauseRecord
from pi_pause.service.session_runner import SessionEnded, SessionRunner
from pi_pause.voice.session import EARLY_MINUTES
from pi_pause.events import ButtonHeld, ButtonPressed, CheckinDue, Command, PhraseHeard

log = logging.getLogger(__name__)

# After the return cue the LED stays on this long, and a press still means
# "10 more minutes": the couple needs a moment to decide after hearing the offer.
RETURN_WINDOW_SECONDS = 60.0

# A break whose return time passed while the service was down gets its return cue
# at start-up, unless it ended this long ago (the device was off for the night).
STALE_BREAK_SECONDS = 6 * 3600.0



class State(enum.Enum):
    """What the service is doing; a sample only ever plays from idle."""

    IDLE = "idle"
    PAUSING = "pausing"
    ON_BREAK = "on_break"
    RETURNING = "returning"
    CHECKING_IN = "checking_in"
    SAMPLING = "sampling"  # a voice sample asked for from the settings page
    ENROLLING = "enrolling"  # a take of the phrase being recorded, to learn a voice


# States a pause or a check-in may begin from. A voice sample is only ever a sample:
# a pause (phrase, press, 'trigger pause') or a check-in cuts it at once.
YIELDS = (State.IDLE, State.SAMPLING, State.ENROLLING)

@dataclass(frozen=True)
class _Wake:
    """Nothing happened, but time may have passed (the fake clock moved)."""


@dataclass(frozen=True)
class _Shutdown:
    pass


@dataclass(frozen=True)
class _Reconfigure:
    """New settings for the pause, and the sessions to speak with from now on."""

    pause: PauseSettings
    sessions: object


@dataclass(frozen=True)
class _Resume:
    """Start-up: pick up a break that a restart interrupted (see :mod:`pause_record`)."""


class Controller:
    """The pause protocol as a state machine on its own thread."""

    def __init__(self, sessions, light, pause: PauseSettings, clock, *,
                 guard: EchoGuard | None = None,
                 watchdog: Callable[[], None] = lambda: None,
                 watchdog_interval: float = 5.0,
                 on_change: Callable[[dict], None] = lambda status: None,
                 record: PauseRecord | None = None) -> None:
        self.sessions = sessions
        self.light = light
        self.pause = pause
        self.clock = clock
        self.guard = guard if guard is not None else EchoGuard(monotonic=clock.monotonic)
        self._feed_watchdog = watchdog
        self._watchdog_interval = watchdog_interval
        self._on_change = on_change
        self._inbox: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="controller", daemon=True)
        self._lock = threading.Lock()
        self._state = State.IDLE
        self._deadline: float | None = None        # clock.monotonic() of the next timed step
        self._return_time: datetime | None = None  # what was announced, for status
        self.record = record if record is not None else PauseRecord(None)
        self._shutting_down = False  # a stop for a restart keeps the record of the break
        self._paused_at: float | None = None       # clock.monotonic() when the pause began
        self._started_by = ""   # how the pause in progress began: phrase, button or remote
        # How many pauses and check-ins began since the service started: a follower that
        # looks now and then (the MQTT bridge) notices one that began and ended between looks.
        self._pauses = 0
        self._checkins = 0
        self.cue_done = threading.Event()  # enrolling: the cue was said, the take is being heard
        self.runner = SessionRunner(sessions, self.guard,
                                    lambda ended: self._inbox.put((ended, None)))
        clock.on_advance(lambda: self._inbox.put((_Wake(), None)))

    # -- used by other threads -------------------------------------------------

    def start(self) -> Controller:
        self._inbox.put((_Resume(), None))
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop any session, turn the light off and end the thread."""
        self._inbox.put((_Shutdown(), None))
        self._thread.join(timeout=5)

    def reconfigure(self, pause: PauseSettings, sessions) -> None:
        """Use ``pause`` and ``sessions`` from the next script on; one in progress ends as it began."""
        self._inbox.put((_Reconfigure(pause, sessions), None))

    def post(self, event) -> None:
        """Hand an event to the controller (thread-safe, never blocks)."""
        self._inbox.put((event, None))

    def command(self, name: str, timeout: float = 3.0) -> dict:
        """A control-socket command; returns the reply for the client."""
        if name == "status":
            return self.status()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self._inbox.put((Command(name), reply))
        try:
            return reply.get(timeout=timeout)
        except queue.Empty:
            return {"ok": False, "error": "the service is busy; try again"}

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def status(self) -> dict:
        with self._lock:
            state, back, started_by = self._state, self._return_time, self._started_by
            pauses, checkins, deadline = self._pauses, self._checkins, self._deadline
        at = back.strftime("%H:%M") if back else ""
        message = {
            State.IDLE: "idle, listening",
            State.PAUSING: f"pausing; back together at {at}",
            State.ON_BREAK: f"on a break until {at}",
            State.RETURNING: "return cue",
            State.CHECKING_IN: "nightly check-in",
            State.SAMPLING: "playing a voice sample",
            State.ENROLLING: "recording a take to learn a voice",
        }[state]
        reply = {"ok": True, "state": state.value, "message": message,
                 "pauses": pauses, "checkins": checkins}
        if back and state in (State.PAUSING, State.ON_BREAK):
            reply["return_time"] = back.isoformat(timespec="minutes")
            if deadline is not None:  # on the service's own clock, for "12 minutes left"
                reply["seconds_left"] = round(max(0.0, deadline - self.clock.monotonic()))
        if started_by and state in (State.PAUSING, State.ON_BREAK, State.RETURNING):
            reply["started_by"] = started_by
        return reply

    # -- the controller thread ---------------------------------------------------

    def _loop(self) -> None:
        last_fed = float("-inf")
        while True:
            now = time.monotonic()
            if now - last_fed >= self._watchdog_interval:
                self._feed_watchdog()
                last_fed = now
            try:
                event, reply = self._inbox.get(timeout=self._wait_seconds())
            except queue.Empty:
                event, reply = _Wake(), None
            if isinstance(event, _Shutdown):
                self._shutting_down = True
                self._stop_everything("shutting down")
                self.runner.close()  # let a script's last save finish before we exit
                return
            try:
                answer = self._handle(event)
            except Exception as exc:
                self._recover(f"handling {type(event).__name__}", exc)
                answer = {"ok": False, "error": "the service hit an error; see its log"}
            if reply is not None:
                reply.put(answer or {"ok": True, **self.status()})
            try:
                self._check_deadline()
            except Exception as exc:
                self._recover("a timed step", exc)

    def _recover(self, doing: str, exc: Exception) -> None:
        """One readable line, the details at debug level, and back to idle."""
        log.error("error while %s (%s: %s); back to idle", doing, type(exc).__name__, exc)
        log.debug("details", exc_info=exc)
        try:
            self._stop_everything(None)
        except Exception as again:  # e.g. the light itself is what fails
            log.error("could not turn the light off (%s)", again)
            with self._lock:
                self._state, self._deadline, self._return_time = State.IDLE, None, None

    def _wait_seconds(self) -> float:
        wait = self._watchdog_interval
        # Only the quiet break and the return window end on time; while a script
        # runs, its end is what moves things on (and an expired deadline must not
        # turn this wait into a busy loop).
        if self._deadline is not None and self.state in (State.ON_BREAK, State.RETURNING):
            wait = min(wait, self.clock.real_timeout(self._deadline - self.clock.monotonic()))
        return max(wait, 0.0)

    def _handle(self, event) -> dict | None:
        state = self.state
        if isinstance(event, SessionEnded):
            return self._session_ended(event)
        if isinstance(event, _Wake):
            return None
        if isinstance(event, _Reconfigure):
            self.pause, self.sessions, self.runner.sessions = event.pause, event.sessions, event.sessions
            return None
        if isinstance(event, _Resume):
            return self._resume()
        if isinstance(event, ButtonHeld):
            self._stop_everything("stopped by a long press")
            return None
        if isinstance(event, Command) and event.name == "stop":
            if state is State.IDLE:  # the light is off already: nothing to change
                return {"ok": True, "state": State.IDLE.value, "message": "nothing was running"}
            self._stop_everything("stopped by 'trigger stop'")
            return {"ok": True, "state": State.IDLE.value, "message": "stopped"}
        if isinstance(event, PhraseHeard):
            if not self.guard.is_open():
                log.debug("phrase ignored: the device was speaking")
            elif state in YIELDS:
                self._begin_pause("phrase detected", "phrase")
            else:
                log.info("phrase detected; a %s is already in progress", _noun(state))
            return None
        if isinstance(event, ButtonPressed):
            return self._press(state)
        if isinstance(event, CheckinDue):
            if state in YIELDS:
                self._begin_checkin("check-in time")
            else:
                log.info("check-in skipped: a %s is in progress", _noun(state))
            return None
        if isinstance(event, Command):
            return self._command(event.name, state)
        log.warning("ignoring unknown event %s", type(event).__name__)
        return None

    def _press(self, state: State) -> None:
        if state in YIELDS:  # a sample playing: the press means "pause" all the same
            self._begin_pause("button pressed", "button")
        elif state is State.PAUSING:
            log.info("button: skip ahead")
            self.runner.skip()
        elif state is State.ON_BREAK:
            if self.clock.monotonic() - (self._paused_at or 0.0) < EARLY_MINUTES * 60:
                self._say_remaining()
            else:
                log.info("button: break ended early")
                self._begin_return()
        elif state is State.RETURNING:
            self._extend()
        elif state is State.CHECKING_IN:
            log.info("button: check-in moves on")
            self.runner.skip()

    def _command(self, name: str, state: State) -> dict:
        if name == "pause":
            if state not in YIELDS:
                return {"ok": False, "state": state.value,
                        "error": f"a {_noun(state)} is already in progress"}
            self._begin_pause("'trigger pause'", "remote")
            return {"ok": True, **self.status(), "message": "pause started"}
        if name == "checkin":
            if state not in YIELDS:
                return {"ok": False, "state": state.value,
                        "error": f"a {_noun(state)} is in progress; try again later"}
            self._begin_checkin("'trigger checkin'")
            return {"ok": True, **self.status(), "message": "check-in started"}
        if name == "sample" or name.startswith("sample "):  # "sample heart": that voice's
            if state is not State.IDLE:
                return {"ok": False, "state": state.value,
                        "error": f"a {_noun(state)} is in progress; try the sample afterwards"}
            self._set(State.SAMPLING, deadline=None, back=None)
            log.info("voice sample")
            voice = name.partition(" ")[2]
            self.runner.start("sample", {"voice": voice} if voice else {})
            return {"ok": True, **self.status(), "message": "playing a voice sample"}
        if name == "enroll-cue":
            if state is not State.IDLE:
                return {"ok": False, "state": state.value,
                        "error": f"a {_noun(state)} is in progress; record the take afterwards"}
            self.cue_done.clear()
            self._set(State.ENROLLING, deadline=None, back=None)
            log.info("enrollment: a take")
            self.runner.start("enroll", {})
            return {"ok": True, **self.status()}
        if name == "enroll-end":
            if state is State.ENROLLING:
                self._stop_everything(None)
            return {"ok": True, **self.status()}
        return {"ok": False, "error": f"unknown command {name!r}"}

    # -- the protocol's steps -----------------------------------------------------

    def _begin_pause(self, why: str, started_by: str) -> None:
        """``started_by`` is how, never who: phrase, button or remote (the control socket)."""
        self.light.on()  # first, before anything slow: the couple sees it was heard
        minutes = self.pause.break_minutes
        # The announced time is when the break ends, counted from now (breathing is
        # part of the break) and rounded up to a time people say, so that what was
        # said stays true: the break lasts until exactly then.
        now = self.clock.now()
        back = return_time(now, minutes)
        seconds = back.timestamp() - now.timestamp()  # real seconds, whatever DST does
        with self._lock:
            self._started_by = started_by
            self._pauses += 1
        self._set(State.PAUSING, deadline=self.clock.monotonic() + seconds, back=back)
        self._paused_at = self.clock.monotonic()
        log.info("%s: pause started, back together at %s", why, back.strftime("%H:%M"))
        self.runner.start("pause", {"return_time": back, "break_minutes": minutes})

    def _resume(self) -> None:
        back = self.record.load()
        if back is None:
            return
        late = self.clock.now().timestamp() - back.timestamp()
        if late < 0:
            self.light.pulse_slow()
            self._set(State.ON_BREAK, deadline=self.clock.monotonic() - late, back=back)
            # When the pause began is not kept; the break's length before its end is
            # close (the return time was rounded up), so an early press stays early.
            self._paused_at = self.clock.monotonic() - late - self.pause.break_minutes * 60
            log.info("restarted during a break: back together at %s", back.strftime("%H:%M"))
        elif late <= STALE_BREAK_SECONDS:
            log.info("the break ended at %s while the service was down: return cue now",
                     back.strftime("%H:%M"))
            self._begin_return(late=True)
        else:
            log.info("a break that ended long ago (%s) was interrupted by a restart; "
                     "not calling it back", back.strftime("%H:%M"))
            self.record.clear()

    def _begin_break(self) -> None:
        self.light.pulse_slow()
        with self._lock:
            self._state = State.ON_BREAK
        log.info("quiet break until %s", self._return_time.strftime("%H:%M"))
        self._changed()

    def _begin_return(self, late: bool = False) -> None:
        self.light.on()
        self._set(State.RETURNING, deadline=None, back=None)
        log.info("return cue")
        # ``late``: the return time passed while the service was down.
        context = {"extend_minutes": self.pause.extend_minutes}
        if late:
            context["late"] = True
        self.runner.start("return", context)

    def _extend(self) -> None:
        self.runner.end()
        minutes = self.pause.extend_minutes
        back = later(self.clock.now(), minutes * 60)
        self._set(State.ON_BREAK, deadline=self.clock.monotonic() + minutes * 60, back=back)
        log.info("%d more minutes: back together at %s", minutes, back.strftime("%H:%M"))
        # Said aloud with the new time, so the press is never met with silence.
        self.runner.start("extend", {"return_time": back, "extend_minutes": minutes})

    def _say_remaining(self) -> None:
        left = max(0.0, (self._deadline or 0.0) - self.clock.monotonic())
        log.info("button: %d minutes of the break left; it goes on", -(-left // 60))
        self.light.on()
        self.runner.start("remaining", {"remaining": left / 60})

    def _begin_checkin(self, why: str) -> None:
        self.light.on()
        with self._lock:
            self._checkins += 1
        self._set(State.CHECKING_IN, deadline=None, back=None)
        log.info("%s: check-in started", why)
        self.runner.start("checkin", {})

    def _check_deadline(self) -> None:
        if self._deadline is None or self.clock.monotonic() < self._deadline:
            return
        state = self.state
        if state is State.ON_BREAK:
            self._begin_return()
        elif state is State.RETURNING:
            log.info("pause over")
            self._to_idle()
        # While pausing, the break deadline waits for the breathing script to end.

    def _session_ended(self, ended: SessionEnded) -> None:
        if not self.runner.finished(ended):
            return None  # a script cancelled earlier, winding down
        if ended.error is not None and self.state is State.ENROLLING:
            # No voice (a speaker gone): the light alone says "now", so the take goes on.
            log.error("the enrollment cue could not be said (%s: %s); the light shows when to speak",
                      type(ended.error).__name__, ended.error)
            self.light.on()
            self.cue_done.set()
            return None
        if ended.error is not None:
            log.error("%s session failed (%s: %s); back to idle",
                      ended.kind, type(ended.error).__name__, ended.error)
            self._to_idle()
            return None
        state = self.state
        if state is State.PAUSING:
            self._begin_break()
        elif state is State.ON_BREAK:  # the time left, or more time, was said
            self.light.pulse_slow()
        elif state is State.RETURNING:
            with self._lock:
                self._deadline = self.clock.monotonic() + RETURN_WINDOW_SECONDS
        elif state is State.CHECKING_IN:
            log.info("check-in finished")
            self._to_idle()
        elif state is State.SAMPLING:
            self._to_idle()
        elif state is State.ENROLLING:  # the cue has been said: the take is heard now
            self.light.on()
            self.cue_done.set()
        return None

    def _stop_everything(self, why: str | None) -> None:
        self.runner.end()
        self._to_idle()
        if why:
            log.info(why)

    def _to_idle(self) -> None:
        try:
            self.light.off()
        finally:
            self._set(State.IDLE, deadline=None, back=None)

    def _set(self, state: State, *, deadline: float | None, back: datetime | None) -> None:
        with self._lock:
            self._state = state
            self._deadline = deadline
            self._return_time = back
            if state is State.IDLE:
                self._paused_at = None
                self._started_by = ""
        self._remember(state, back)
        self._changed()

    def _remember(self, state: State, back: datetime | None) -> None:
        """Keep the break on disk, synchronously, so a restart (or a power cut) keeps it."""
        if state in (State.PAUSING, State.ON_BREAK) and back is not None:
            self.record.save(back)
        elif state is State.IDLE and not self._shutting_down:
            self.record.clear()

    def _changed(self) -> None:
        try:
            self._on_change(self.status())
        except Exception as exc:
            log.error("status listener failed (%s: %s)", type(exc).__name__, exc)


def _noun(state: State) -> str:
    return {State.CHECKING_IN: "check-in", State.SAMPLING: "voice sample",
            State.ENROLLING: "voice enrollment"}.get(state, "pause")
