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

The parts that speak and listen come from :mod:`pi_pause.spotter`,
:mod:`pi_pause.mic`, :mod:`pi_pause.session`, :mod:`pi_pause.light` and
:mod:`pi_pause.player`; :class:`Service` takes them by their contract names.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pi_pause import __version__, config, gpio
from pi_pause.button import PauseButton
from pi_pause.wallclock import SystemClock
from pi_pause.control import serve
from pi_pause.controller import Controller
from pi_pause.echo import EchoGuard
from pi_pause.errors import UserError
from pi_pause.listener import Listener
from pi_pause.notify import Notifier
from pi_pause.retry import RetryingPlayer
from pi_pause.schedule import CheckinSchedule, CheckinTimer
from pi_pause.simulate import Keyboard, ShownLight, SilentSpeaker, WavInput

log = logging.getLogger(__name__)

# The modules this file needs from the listening and speaking parts, and why.
PARTS = {
    "spotter": "hearing the phrase",
    "mic": "the microphone",
    "session": "the spoken scripts",
    "light": "the LED",
    "player": "playing sound",
}


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


def load_parts() -> dict:
    """The listening and speaking modules, or a one-line error naming what is missing."""
    parts = {}
    for name, job in PARTS.items():
        try:
            parts[name] = importlib.import_module(f"pi_pause.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pi_pause.{name}":
                raise
            raise ServiceError(f"this build of pi-pause has no pi_pause.{name} ({job}), so "
                               "'pi-pause run' cannot start; update pi-pause (git pull, then "
                               "./bootstrap.sh run)") from None
    return parts


class Service:
    """Every part of the running service; :meth:`start`, then :meth:`stop`."""

    def __init__(self, settings: config.Settings, options: Options = Options(), *,
                 parts: dict | None = None, clock=None, sessions_clock=None,
                 notifier: Notifier | None = None, out=None, keyboard=None) -> None:
        self.settings = settings
        self.options = options
        self.parts = parts if parts is not None else load_parts()
        self.clock = clock if clock is not None else SystemClock()
        self.sessions_clock = sessions_clock
        self.notifier = notifier if notifier is not None else Notifier()
        self.out = out if out is not None else sys.stdout
        self.keyboard_stream = keyboard
        self._closers: list = []
        if options.input is not None:
            WavInput(options.input)  # a bad file is refused now, in one line, not later

    def start(self, stopping: threading.Event | None = None) -> Service:
        log.info("pi-pause %s starting", __version__)
        self._started = time.monotonic()
        s = self.settings
        p = self.parts
        self.pins = gpio.choose(simulate=self.options.simulate)
        self._closers.append(self.pins.factory.close)
        simulated = self.pins.simulated
        from gpiozero import Device

        Device.pin_factory = self.pins.factory  # Light(pin) uses gpiozero's default factory
        log.info("GPIO: %s", self.pins.description)

        light = p["light"].Light(s.gpio.led_pin)
        self._closers.append(getattr(light, "close", None))
        self.light = ShownLight(light, self.out) if simulated else light
        self.player = self._player(simulated)
        kwargs = {"clock": self.sessions_clock} if self.sessions_clock is not None else {}
        self.sessions = p["session"].Sessions(s, self.player, self.light, **kwargs)
        with self._starting("preparing the voice clips"):
            if hasattr(self.sessions, "prepare"):
                # Render any clip not cached yet now, so a pause never waits for Piper.
                # A stop asked for meanwhile (Ctrl-C, systemctl stop) ends it early.
                self.sessions.prepare(stop=stopping)
        with self._starting("loading the speech model"):
            self.spotter = p["spotter"].open_spotter(s)
        self._closers.append(getattr(self.spotter, "close", None))
        self.guard = EchoGuard(monotonic=self.clock.monotonic)
        interval = self.notifier.watchdog_interval() or 5.0
        self.controller = Controller(self.sessions, self.light, s.pause, self.clock,
                                     guard=self.guard, watchdog=self.notifier.watchdog,
                                     watchdog_interval=interval,
                                     on_change=lambda status: self._publish())
        self.controller.start()
        self._closers.append(self.controller.stop)

        self.button = PauseButton(s.gpio.button_pin, s.gpio.long_press_seconds,
                                  self.controller.post, pin_factory=self.pins.factory)
        self._closers.append(self.button.close)
        if simulated:
            print("[button] press Enter for a short press, h + Enter for a long press",
                  file=self.out, flush=True)
            Keyboard(self.button.pin, s.gpio.long_press_seconds, self.keyboard_stream).start()

        self.schedule = CheckinSchedule.from_settings(s, tz=getattr(self.clock, "tz", None))
        self.timer = CheckinTimer(self.schedule, self.clock, self.controller.post).start()
        self._closers.append(self.timer.stop)

        self.control = serve(s, self._command)
        self._closers.append(self.control.close)

        if self.options.input is not None:
            source, name = (lambda: WavInput(self.options.input)), f"recording {self.options.input.name}"
        else:
            mic = p["mic"]
            source, name = (lambda: mic.Microphone(s.listen.input_device)), "microphone"
        self.listener = Listener(source, self.spotter, self.guard, self.controller.post, name,
                                 on_change=lambda available: self._publish())
        self.listener.start()
        self._closers.append(self.listener.stop)

        self.notifier.ready(f"listening with {self.spotter.engine_name}")
        log.info("ready: listening with %s", self.spotter.engine_name)
        return self

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
        players = self.parts["player"]
        if self.options.sound_dir is not None:
            self.options.sound_dir.mkdir(parents=True, exist_ok=True)
            path = self.options.sound_dir / "pi-pause-sound.wav"
            log.info("sound goes into %s (written when the service stops)", path)
            sink = players.WavSink(path)
            self._closers.append(sink.close)
            return sink
        if self.options.simulate or (simulated and not _has_output_device(
                self.settings.voice.output_device)):
            log.info("no speaker: sound plays nowhere (--sound-dir DIR keeps it as WAV)")
            return SilentSpeaker()
        return RetryingPlayer(players.SpeakerPlayer(self.settings.voice.output_device))

    def _publish(self) -> None:
        """What ``systemctl status pi-pause`` shows: the state, and a missing microphone."""
        text = self.controller.status()["message"]
        listener = getattr(self, "listener", None)
        if listener is not None and not listener.available.is_set() and not listener.finished.is_set():
            text += f"; {listener.name} unavailable, retrying"
        self.notifier.status(text)

    def _command(self, name: str) -> dict:
        reply = self.controller.command(name)
        if name == "status":
            reply["microphone"] = "listening" if self.listener.available.is_set() else "unavailable"
            nxt = self.schedule.next_check(self.clock.now())
            if nxt is not None:
                reply["next_checkin"] = nxt.isoformat(timespec="minutes")
        return reply

    def stop(self) -> None:
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


def cli_run(args, settings: config.Settings) -> int:
    if not os.environ.get("JOURNAL_STREAM"):
        # In a terminal, say when things happened; the journal adds its own time.
        for handler in logging.getLogger().handlers:
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    options = Options(simulate=args.simulate, input=args.input, sound_dir=args.sound_dir)
    service = Service(settings, options)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        service.start(stopping)
        code = service.wait(stopping)
    finally:
        log.info("stopping")
        service.stop()
    return code


def _has_output_device(wanted: str) -> bool:
    try:
        import sounddevice as sd

        device = config.sound_device(wanted)
        info = sd.query_devices(device, kind="output")
        return bool(info and info["max_output_channels"])
    except Exception:  # no PortAudio, no device, no match: all mean "no speaker"
        return False
