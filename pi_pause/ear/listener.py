"""The listener: audio frames in, :class:`~pi_pause.events.PhraseHeard` out, whatever happens to the mic.

A thread that opens the audio source (the microphone, or a WAV file fed in real
time), hands every frame to the phrase spotter and posts what it hears to the
controller. Real homes unplug things, so:

* the microphone missing or unplugged is logged **once**, then retried with a
  growing pause (1 s, 2 s, 4 s ... at most 30 s) until it is back, which is
  logged too; meanwhile the button and the check-in keep working, because they
  do not depend on this thread;
* frames that arrive while the device speaks, or just after, are dropped
  unheard (:class:`~pi_pause.echo.EchoGuard`), and the spotter is reset before
  listening again, so its own voice can never start a pause;
* a source that stays open but delivers nothing (a USB microphone whose stream
  stalls) counts as gone once :data:`STALL_SECONDS` pass without a frame: it is
  closed and reopened, logged once like an unplugged one;
* nothing it hears is logged or kept: frames are dropped after the spotter saw them;
* while enrollment records a take (:meth:`Listener.divert`), frames go to the take
  instead of the spotter (in memory only), so nothing said meanwhile starts a pause.

``open_source()`` returns a context manager with ``read(timeout) -> frame | None``
(the contract of :class:`pi_pause.ear.microphone.Microphone`). A source may raise
:class:`EndOfInput` when a recording is finished; the listener then stops.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from pi_pause.echo import EchoGuard
from pi_pause.errors import UserError

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
STALL_SECONDS = 5.0  # no frame for this long from an open source: reopen it


class EndOfInput(Exception):
    """A recorded input has been played to its end."""


class Stalled(UserError):
    """An open source that has delivered no audio for a while."""


class Listener:
    """Feeds the spotter from an audio source on its own thread; survives the source vanishing."""

    def __init__(self, open_source: Callable[[], object], spotter, guard: EchoGuard,
                 post: Callable[[object], None], name: str = "microphone",
                 on_change: Callable[[bool], None] = lambda available: None) -> None:
        self.open_source = open_source
        self.on_change = on_change
        self.spotter = spotter
        self.guard = guard
        self.post = post
        self.name = name
        self._spotter_lock = threading.Lock()  # held while a frame is fed
        self._sink: Callable[[object], None] | None = None
        self.stopped = threading.Event()
        self.finished = threading.Event()  # set when the thread has ended
        self.available = threading.Event()  # set while the source delivers audio
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=3)

    def replace_spotter(self, spotter) -> None:
        """Listen with ``spotter`` from the next frame on (new phrases, another engine).

        The swap waits for a frame being fed to finish, and the old spotter is closed
        after it, so no frame is ever fed to a closed engine.
        """
        with self._spotter_lock:
            old, self.spotter = self.spotter, spotter
        if old is not spotter:
            old.close()

    def divert(self, sink: Callable[[object], None] | None) -> None:
        """Hand every frame to ``sink`` instead of the spotter, from the next frame on, even
        while the echo guard is closed (the take the device just asked for); ``None`` listens
        again, with the spotter reset (nothing heard before or during the take carries over)."""
        with self._spotter_lock:
            self._sink = sink

    def _run(self) -> None:
        try:
            self._keep_listening()
        finally:
            self.available.clear()
            self.finished.set()

    def _keep_listening(self) -> None:
        retry = FIRST_RETRY_SECONDS
        down = False
        while not self.stopped.is_set():
            try:
                with self.open_source() as source:
                    self.available.set()
                    self.on_change(True)
                    if down:
                        log.info("%s is back; listening again", self.name)
                        down = False
                    else:
                        log.info("listening on the %s", self.name)
                    retry = FIRST_RETRY_SECONDS
                    self._listen(source)
                return  # stopped
            except EndOfInput:
                heard = self.spotter.finish()  # a phrase that ends the recording counts too
                if heard is not None and self.guard.is_open():
                    self.post(heard)
                log.info("the input recording is finished; no more listening "
                         "(the button and the schedule still work)")
                return
            except (UserError, OSError) as exc:
                problem = str(exc)
            except Exception as exc:  # a bug in a library must not end listening for good
                problem = f"{type(exc).__name__}: {exc}"
            self.available.clear()
            if not down:
                log.warning("%s unavailable, retrying until it is back: %s", self.name, problem)
                down = True
                self.on_change(False)
            self.stopped.wait(retry)
            retry = min(retry * 2, MAX_RETRY_SECONDS)

    def _listen(self, source) -> None:
        heard_generation = self.guard.generation
        diverted = False
        self.spotter.reset()
        last_frame = time.monotonic()
        while not self.stopped.is_set():
            frame = source.read(0.5)
            if frame is None:
                if time.monotonic() - last_frame > STALL_SECONDS:
                    raise Stalled(f"no sound for {STALL_SECONDS:g} s although it is open; "
                                  "reopening it")
                continue
            last_frame = time.monotonic()
            with self._spotter_lock:
                sink = self._sink
            if sink is not None:
                sink(frame)
                diverted = True
                continue
            if not self.guard.is_open():
                continue  # possibly our own voice: never even reaches the spotter
            with self._spotter_lock:
                if diverted:
                    self.spotter.reset()
                    diverted = False
                if self.guard.generation != heard_generation:
                    self.spotter.reset()  # forget half-heard words from before the device spoke
                    heard_generation = self.guard.generation
                heard = self.spotter.feed(frame)
            if heard is not None:
                self.post(heard)
