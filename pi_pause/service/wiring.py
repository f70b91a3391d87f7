"""``pi-pause run``: the whole service, wired together, on a Pi or on any machine.

Start-up builds every part once, from the settings, then hands control to the
threads that do the work::

    pins (real GPIO or mock) -> light, button
    speaker (or a silent / WAV stand-in) -> sessions (the spoken scripts)
    spotter (loads the speech model: the slow part)
    controller  <- listener (microphone or --input FILE.wav)
                <- button   <- check-in timer   <- control socket
    systemd: READY=1, then WATCHDOG=1 from the controller's thread

On a machine without a microphone, speaker or GPIO (a laptop, a build server)
nothing is refused: the mock pins stand in for the button and LED (Enter is the
button, the LED is printed), sound plays nowhere or into WAV files
(``--sound-dir``), the microphone is retried in the background, and
``--input FILE.wav`` plays a recording into the listener in real time.
``--simulate`` forces all of that even on a Pi.

The parts that hear, speak and light are built by the factories in
:class:`~pi_pause.service.parts.Parts` (:func:`~pi_pause.service.parts.real_parts` by
default); tests hand :class:`Service` stand-ins that satisfy the same Protocols.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pi_pause import __version__, config, dirs
from pi_pause.service import gpio
from pi_pause.service.button import PauseButton
from pi_pause.wallclock import SystemClock
from pi_pause.service.control_socket import NAMED, serve
from pi_pause.service.controller import Controller
from pi_pause.service.enrolling import EnrollmentDesk
from pi_pause.echo import EchoGuard
from pi_pause.errors import UserError
from pi_pause.ear.listener import Listener
from pi_pause.service.systemd_notify import Notifier
from pi_pause.voice.retrying_player import RetryingPlayer
from pi_pause.service.schedule import CheckinSchedule, CheckinTimer
from pi_pause.service.parts import Parts, real_parts
from pi_pause.service.pause_record import FILE_NAME as PAUSE_FILE, PauseRecord
from pi_pause.service.simulation import Keyboard, ShownLight, ShownWords, SilentSpeaker, WavInput
from pi_pause.progress import Progress
from pi_pause.voice.catalogue import problem as voice_problem
from pi_pause.voice.session_clock import AnyEvent

log = logging.getLogger(__name__)

# While a slow start-up step runs, tell systemd every few seconds that we are alive
# (and to extend its start timeout), but never for more than this long in all.
KEEPALIVE_SECONDS = 10.0
MAX_START_SECONDS = 30 * 60


class ServiceError(UserError):
    """The service cannot start; the message says what to do."""


@dataclass(frozen=True)
class Options:
    """How ``pi-pause run`` was asked to run."""

    simulate: bool = False
    input: Path | None = None
    sound_dir: Path | None = None
    config: Path | None = None  # the settings file read again on 'reload' (None: the default)


class Service:
    """Every part of the running service; :meth:`start`, then :meth:`stop`."""

    def __init__(self, settings: config.Settings, options: Options = Options(), *,
                 parts: Parts | None = None, clock=None, sessions_clock=None,
                 notifier: Notifier | None = None, out=None, keyboard=None) -> None:
        self.settings = settings
        self.options = options
        self.parts = parts if parts is not None else real_parts()
        self.clock = clock if clock is not None else SystemClock()
        self.sessions_clock = sessions_clock
        self.notifier = notifier if notifier is not None else Notifier()
        self.out = out if out is not None else sys.stdout
        self.keyboard_stream = keyboard
        self._closers: list = []
        self._reload_lock = threading.Lock()
        self._clips_for = 0  # which reload the clips being rendered belong to
        # One render at a time: each loads Piper (~140 MB), and a Pi has little to spare.
        self._rendering = threading.Lock()
        self._stopping = threading.Event()
        self.listener: Listener | None = None
        self.spotter = None
        self.not_listening: str | None = None  # why nothing listens (a phrase the ear cannot use)
        self._listening_for = None  # the [listen] settings the spotter was built from
        self.enrolled = 0  # how many enrolled voices the spotter listens for
        self.enrolling = EnrollmentDesk(self, self.reload_voices)
        self._ready = threading.Event()
        if options.input is not None:
            WavInput(options.input).close()  # a bad file is refused now, in one line, not later

    def start(self, stopping: threading.Event | None = None) -> Service:
        log.info("pi-pause %s starting", __version__)
        self._started = time.monotonic()
        s = self.settings
        p = self.parts
        self.pins = gpio.choose(simulate=self.options.simulate)
        self._closers.append(self.pins.factory.close)
        simulated = self.pins.simulated
        log.info("GPIO: %s", self.pins.description)

        light = p.make_light(s.gpio.led_pin, self.pins.factory)
        self._closers.append(light.close)
        self.light = ShownLight(light, self.out) if simulated else light
        self.player = self._player(simulated)
        kwargs = {"clock": self.sessions_clock} if self.sessions_clock is not None else {}
        pause_file = dirs.state_file(s, PAUSE_FILE)  # None: a state folder we cannot write
        if pause_file is not None:
            dirs.remove_stale_temporaries(pause_file.parent)  # left by a kill mid-write
        # With no GPIO (a laptop) the terminal shows what the voice says, beside the LED.
        self._words = ShownWords(self.out) if simulated else None
        self.sessions = self._shown(p.make_sessions(s, self.player, self.light, **kwargs))
        with self._starting("loading the speech model"):
            spotter, self.not_listening = self._open_spotter(s)
        if self.not_listening is not None:
            log.error("not listening: %s; the button, the light, the voice and the check-in work; "
                      "fix [listen] phrases and reload (pi-pause doctor says more)", self.not_listening)
        self._closers.append(lambda: self.spotter is not None and self.spotter.close())
        self.guard = EchoGuard(monotonic=self.clock.monotonic)
        interval = self.notifier.watchdog_interval() or 5.0
        self.controller = Controller(self.sessions, self.light, s.pause, self.clock,
                                     guard=self.guard, watchdog=self.notifier.watchdog,
                                     watchdog_interval=interval,
                                     on_change=lambda status: self._publish(),
                                     record=PauseRecord(pause_file))
        self.controller.start()
        self._closers.append(self.controller.stop)

        self.button = PauseButton(s.gpio.button_pin, s.gpio.long_press_seconds,
                                  self.controller.post, pin_factory=self.pins.factory)
        self._closers.append(self.button.close)
        if simulated:
            print("[button] press Enter for a short press, h + Enter for a long press",
                  file=self.out, flush=True)
            Keyboard(self.button.pin, s.gpio.long_press_seconds, self.keyboard_stream).start()

        self.schedule = CheckinSchedule.from_settings(s, tz=self.clock.tz)
        self.timer = CheckinTimer(self.schedule, self.clock, self.controller.post).start()
        self._closers.append(self.timer.stop)

        self.control = serve(s, self._command)
        self._closers.append(self.control.close)

        self._closers.append(lambda: self.listener is not None and self.listener.stop())
        if spotter is not None:
            self._listen_with(spotter, s)
            self.notifier.ready(f"listening with {self.spotter.engine_name}")
            # Not "listening": the microphone may be missing (the listener says so itself).
            log.info("ready: the button works, and %s hears the phrase whenever the %s delivers sound",
                     self.spotter.engine_name, self.listener.name)
        else:
            self.notifier.ready(f"not listening: {self.not_listening}")
            log.info("ready: the button, the light, the voice and the check-in work; nothing "
                     "listens for the phrase until it is fixed")
        self._ready.set()
        self._prepare_clips_in_background(stopping)
        return self

    def _open_spotter(self, settings: config.Settings):
        """(the spotter for ``settings``, None), or (None, why not) when the ear cannot use
        the phrase: a deaf service still has its button, light, voice and check-in, which
        is far better than none at all after a reboot."""
        try:
            return self.parts.open_spotter(settings), None
        except Exception as exc:  # a phrase the ear refuses, or a model that will not load
            return None, str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"

    def _listen_with(self, spotter, settings: config.Settings) -> None:
        """Hear with ``spotter`` from now on: the first listener, or a swap in the running one."""
        from pi_pause.ear import enrollment

        self.spotter, self.not_listening, self._listening_for = spotter, None, settings.listen
        self.enrolled = len(enrollment.load(settings).people)
        if self.listener is not None:
            self.listener.replace_spotter(spotter)
            return
        if self.options.input is not None:
            source, name = (lambda: WavInput(self.options.input)), f"recording {self.options.input.name}"
        else:
            source, name = (lambda: self.parts.open_microphone(settings.listen.input_device)), "microphone"
        self.listener = Listener(source, spotter, self.guard, self.controller.post, name,
                                 on_change=lambda available: self._publish())
        self.listener.start()

    def _shown(self, sessions):
        if self._words is not None:
            sessions.on_words = self._words
        return sessions

    def _prepare_clips_in_background(self, stopping: threading.Event | None) -> None:
        """Render the clips not cached yet (every clip, on the first start: minutes on a
        Pi) while the service already listens. A pause meanwhile renders the clips it
        needs as it goes. A stop (Ctrl-C, systemctl stop) ends the rendering early."""
        done = threading.Event()
        stop = AnyEvent(done, *(e for e in (stopping,) if e is not None))

        def prepare() -> None:
            try:
                with self._rendering, Progress("preparing the voice clips", bar=False) as progress:
                    self.sessions.prepare(stop=stop, progress=progress)
            except Exception as exc:  # a broken voice: pauses still light up and time out
                log.error("voice clips could not be prepared (%s: %s); a pause will try "
                          "again as it speaks", type(exc).__name__, exc)
            else:
                if not stop.is_set():
                    log.info("voice clips ready")

        thread = threading.Thread(target=prepare, name="prepare-clips", daemon=True)
        thread.start()

        def finish() -> None:
            done.set()
            thread.join(timeout=5)
        self._closers.append(finish)

    @contextlib.contextmanager
    def _starting(self, what: str):
        """Keep systemd patient during a slow start-up step (the first run renders every
        clip, which can take minutes on a Pi), up to :data:`MAX_START_SECONDS` in all."""
        self.notifier.status(what)
        done = threading.Event()

        def keepalive() -> None:
            while not done.wait(KEEPALIVE_SECONDS):
                if time.monotonic() - self._started > MAX_START_SECONDS:
                    return  # something hangs: let systemd's timeouts act
                self.notifier.send("WATCHDOG=1",
                                   f"EXTEND_TIMEOUT_USEC={int(3 * KEEPALIVE_SECONDS * 1e6)}")

        thread = threading.Thread(target=keepalive, name="starting", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _player(self, simulated: bool):
        if self.options.sound_dir is not None:
            self.options.sound_dir.mkdir(parents=True, exist_ok=True)
            path = self.options.sound_dir / "pi-pause-sound.wav"
            log.info("sound goes into %s (written when the service stops)", path)
            sink = self.parts.make_wav_sink(path)
            self._closers.append(sink.close)
            return sink
        if self.options.simulate or (simulated and not _has_output_device(
                self.settings.voice.output_device)):
            log.info("no speaker: sound plays nowhere (--sound-dir DIR keeps it as WAV)")
            return SilentSpeaker()
        return RetryingPlayer(self.parts.make_speaker(self.settings.voice.output_device))

    def _publish(self) -> None:
        """What ``systemctl status pi-pause`` shows: the state, and a missing microphone."""
        self.notifier.status(self._with_listener(self.controller.status()["message"]))

    def _with_listener(self, message: str) -> str:
        """The state, saying so when the phrase cannot be heard (no "listening" then)."""
        listener = self.listener
        if self.not_listening is not None:
            return f"{message.replace(', listening', '')}; not listening: {self.not_listening}"
        if listener is None or listener.available.is_set():
            return message
        message = message.replace(", listening", "")
        if listener.finished.is_set():
            return f"{message}; not listening ({listener.name} finished)"
        return f"{message}; {listener.name} unavailable, retrying"

    def reload(self) -> dict:
        """Read the settings file again and use it without a restart (``reload``, SIGHUP).

        A file that does not parse, or a voice that cannot speak, is refused with its
        one-line error and the running settings stay in force. A phrase the ear cannot use
        does not hold the rest back: the other settings are taken up, the spotter in use (if
        any) goes on listening, and the reply says why the phrase was not (so a later reload
        is never stuck behind it). A service that started deaf listens as soon as a reload
        brings a phrase it can hear. New phrases are heard from
        the next frame; a new check-in time and break length apply at once; new voice and
        breathing settings from the first script after their clips are rendered (in the
        background: that can take minutes on a Pi, and the old clips speak meanwhile).
        Pins and folders are only read at start: a change there waits for a restart.
        """
        if not self._ready.is_set():
            return {"ok": False, "error": "the service is still starting; try again in a moment"}
        with self._reload_lock:
            old = self.settings
            try:
                new = config.load(self.options.config)
                if new.voice.model != old.voice.model:
                    problem = voice_problem(new)  # e.g. a Piper voice file not there
                    if problem is not None:
                        raise UserError(problem)
            except UserError as exc:
                log.warning("settings not reloaded: %s", exc)
                return {"ok": False, "error": str(exc)}
            unheard = None
            if self.spotter is None or new.listen != self._listening_for:
                spotter, unheard = self._open_spotter(new)
                if spotter is not None:
                    self._listen_with(spotter, new)
                    self._publish()
                elif self.spotter is None:
                    self.not_listening = unheard
            if new.checkin != old.checkin:
                self.schedule = CheckinSchedule.from_settings(new, tz=self.clock.tz)
                self.timer.replace(self.schedule)
            message = "settings reloaded"
            if new.voice != old.voice or new.pause != old.pause:
                self.controller.reconfigure(new.pause, self.sessions)
                kwargs = {"clock": self.sessions_clock} if self.sessions_clock is not None else {}
                sessions = self._shown(self.parts.make_sessions(new, self.player, self.light, **kwargs))
                self._clips_for += 1
                threading.Thread(target=self._use_when_rendered, args=(sessions, new, self._clips_for),
                                 name="reload-clips", daemon=True).start()
                if new.voice != old.voice:
                    message += "; the new voice speaks once its clips are rendered"
            self.settings = new
            later = [name for name in ("gpio", "paths") if getattr(new, name) != getattr(old, name)]
            if later:
                message += "; " + " and ".join(f"[{n}]" for n in later) + " take effect at the next restart"
            if unheard is not None:
                still = ("still listening for the previous phrase" if self.spotter is not None
                         else "nothing listens until it is fixed")
                error = f"{message}, but not the phrase: {unheard}; {still}"
                log.warning("%s", error)
                return {"ok": False, "error": error}
            log.info("%s", message)
            return {"ok": True, "message": message}

    def _use_when_rendered(self, sessions, settings: config.Settings, generation: int) -> None:
        """Render what ``sessions`` will say, then speak with them (unless a later reload won)."""
        try:
            # No pruning: the clips of the voice in force may still be needed meanwhile.
            with self._rendering:
                sessions.prepare(prune=False, stop=self._stopping)
        except Exception as exc:  # a broken voice: keep speaking with the clips there are
            log.error("the new voice could not be rendered (%s: %s); the old one speaks on",
                      type(exc).__name__, exc)
            return
        with self._reload_lock:
            if generation != self._clips_for or self._stopping.is_set():
                return
            self.sessions = sessions
            self.controller.reconfigure(settings.pause, sessions)
        log.info("the new settings speak from the next script")

    def reload_voices(self) -> dict:
        """Listen with the voices enrolled now (after ``phrase enroll`` or ``forget``): the ear
        is rebuilt and swapped in between two frames, as a new phrase is by :meth:`reload`."""
        if not self._ready.is_set():
            return {"ok": False, "error": "the service is still starting; try again in a moment"}
        with self._reload_lock:
            spotter, unheard = self._open_spotter(self.settings)
            if spotter is None:
                log.warning("enrolled voices not taken up: %s", unheard)
                return {"ok": False, "error": f"the ear could not be rebuilt: {unheard}"}
            self._listen_with(spotter, self.settings)
        self._publish()
        log.info("listening for %d enrolled voice(s)", self.enrolled)
        return {"ok": True, "message": f"the service listens for {self.enrolled} enrolled voice(s) now"}

    def _command(self, name: str) -> dict:
        if name == "reload":
            return self.reload()
        if name == "reload-voices":
            return self.reload_voices()
        if name == "enrolled" or name.partition(" ")[0] in NAMED:
            return self.enrolling.handle(name)
        reply = self.controller.command(name)
        if name == "status":
            if "message" in reply:
                reply["message"] = self._with_listener(reply["message"])
            if self.not_listening is not None:
                reply["microphone"] = "not listening"
                reply["not_listening"] = self.not_listening
            else:
                hearing = self.listener is not None and self.listener.available.is_set()
                reply["microphone"] = "listening" if hearing else "unavailable"
            reply["speaker"] = self._speaker_health()
            reply["ear"] = self._ear_health()
            reply["enrolled"] = self.enrolled  # how many, never who: status reaches MQTT
            nxt = self.schedule.next_check(self.clock.now())
            if nxt is not None:
                reply["next_checkin"] = nxt.isoformat(timespec="minutes")
        return reply

    def _speaker_health(self) -> str:
        """Can the couple hear it: ready, unavailable, or where the sound goes instead."""
        if self.options.sound_dir is not None:
            return "into a WAV file"
        if isinstance(self.player, SilentSpeaker):
            return "none (simulation)"
        return "ready" if getattr(self.player, "working", True) else "unavailable"

    def _ear_health(self) -> str:
        """Which engine hears the phrase, or why nothing can be heard now."""
        if self.not_listening is not None:  # its reason quotes the phrase: it stays on the Pi
            return "deaf: the ear cannot use the phrase in the settings (pi-pause doctor says why)"
        listener = self.listener
        if listener is None:
            return "deaf: nothing listens yet"
        if listener.available.is_set():
            return self.spotter.engine_name
        if listener.finished.is_set():
            return f"deaf: the {listener.name} is finished"
        return f"deaf: the {listener.name} is unavailable"

    def stop(self) -> None:
        self._stopping.set()
        self.notifier.stopping()
        for close in reversed(self._closers):
            if close is None:
                continue
            try:
                close()
            except Exception as exc:
                log.error("error while shutting down (%s: %s)", type(exc).__name__, exc)
        self._closers.clear()

    def wait(self, stopping: threading.Event) -> int:
        """Run until ``stopping`` is set; 1 if the controller died (systemd restarts us)."""
        while not stopping.wait(1.0):
            if not self.controller.alive:
                log.error("the controller stopped unexpectedly; exiting so the service restarts")
                return 1
        return 0


def _has_output_device(wanted: str) -> bool:
    try:
        import sounddevice as sd

        device = config.sound_device(wanted)
        info = sd.query_devices(device, kind="output")
        return bool(info and info["max_output_channels"])
    except Exception:  # no PortAudio, no device, no match: all mean "no speaker"
        return False
