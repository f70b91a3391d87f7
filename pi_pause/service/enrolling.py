"""Enrollment through the running service: it owns the microphone, so it records the takes.

``pi-pause phrase enroll --speaker NAME`` (no files) and the settings page's "Teach it
your voices" ask the service over the control socket, one request a take:

* ``enroll-take NAME``: the device says "say your phrase after the tone" and chimes
  (the controller's ``enrolling`` state), the LED lights, :data:`TAKE_SECONDS` of the
  listener's own frames are taken into memory (the spotter hears none of them: nothing
  said meanwhile starts a pause), the LED goes off, and the take is judged
  (:func:`pi_pause.ear.enrollment.judge_take`); the reply has the verdict, in a line
  with the fix and in the couple's words, and how many good takes NAME has;
* ``enroll-finish NAME``: the good takes are adapted into numbers
  (:func:`pi_pause.ear.voiceprint.adapt`, on the client's thread, never the
  controller's), kept, the takes dropped, and the listener's ear swapped between two
  frames, as a new phrase is;
* ``enroll-cancel`` (``enroll-cancel NAME``): drop the takes (everyone's, or NAME's);
* ``enrolled``: who is enrolled (names and take counts, for the page) and who has takes
  waiting.

During a pause or a check-in a take is refused politely; a button press or a check-in
during a take cuts it, and the take is dropped. The takes are never written anywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import numpy as np

from pi_pause import config
from pi_pause.ear import enrollment
from pi_pause.errors import UserError

log = logging.getLogger(__name__)

TAKE_SECONDS = 4.0  # heard after the tone: a phrase of up to six words, with room to start
CUE_SECONDS = 20.0  # the cue is a short line and a chime; longer means something is wrong
NEEDED = enrollment.DEFAULT_TAKES


class EnrollmentDesk:
    """Takes from the listener for each person, kept in memory until finished or cancelled.

    ``service`` is the running :class:`~pi_pause.service.wiring.Service` (its settings,
    controller and listener); ``reload_ear()`` makes the listener hear with what is
    enrolled now."""

    def __init__(self, service, reload_ear: Callable[[], dict],
                 open_judge: Callable[[config.Settings], object] = enrollment.open_judge) -> None:
        self.service = service
        self.reload_ear = reload_ear
        self.open_judge = open_judge
        self._judge = None
        self._takes: dict[str, list[enrollment.TakeVerdict]] = {}  # name -> good takes (memory only)
        self._names: dict[str, str] = {}  # casefolded -> as typed
        self._lock = threading.Lock()  # one take, or one finish, at a time

    def handle(self, command: str) -> dict:
        verb, _, name = command.partition(" ")
        if verb == "enrolled":
            return self.enrolled()
        if verb == "enroll-cancel":
            return self.cancel(name or None)
        if not self._lock.acquire(blocking=False):
            return {"ok": False, "error": "a take is being recorded or a voice learnt; wait for it",
                    "plain": "It is already recording or learning: wait a moment."}
        try:
            return self.take(name) if verb == "enroll-take" else self.finish(name)
        except UserError as exc:
            return {"ok": False, "error": str(exc), "plain": getattr(exc, "plain", "") or str(exc)}
        finally:
            self._lock.release()

    # -- the commands --------------------------------------------------------------

    def take(self, name: str) -> dict:
        name = self._room_for(name)
        listener = self.service.listener
        if listener is None or not listener.available.is_set():
            why = self.service.not_listening or "the microphone is unavailable"
            return {"ok": False, "error": f"cannot record a take: {why} (pi-pause doctor says more)",
                    "plain": "It cannot hear the microphone now, so it cannot record a take."}
        settings = self.service.settings
        phrases = enrollment.phrases_of(settings)
        if self._judge is None:
            self._judge = self.open_judge(settings)
        controller = self.service.controller
        reply = controller.command("enroll-cue")
        if not reply.get("ok"):
            return {**reply, "plain": "It is busy with a pause or a check-in: record the take afterwards."}
        try:
            audio = self._record(controller, listener)
        finally:
            controller.command("enroll-end")
        if audio is None:
            return {"ok": False, "error": "the take was cut short (a pause, a check-in or the "
                                          "button); nothing was kept", "plain": "The take was stopped."}
        verdict = enrollment.judge_take(audio, phrases, self._judge)
        del audio
        key = name.casefold()
        if verdict.ok:
            self._takes.setdefault(key, []).append(verdict)
            self._names[key] = name
        good = len(self._takes.get(key, []))
        log.info("enrollment take %s (%d good so far)", "accepted" if verdict.ok else "refused", good)
        return {"ok": True, "good_take": verdict.ok, "reason": verdict.reason, "plain": verdict.plain,
                "takes": good, "needed": NEEDED, "message": verdict.reason}

    def finish(self, name: str) -> dict:
        from pi_pause.ear import voiceprint

        name = self._room_for(name)
        key = name.casefold()
        phrase, takes = enrollment.chosen_phrase(self._takes.get(key, []))
        if len(takes) < enrollment.MIN_TAKES:
            return {"ok": False, "error": f"{name} has {len(takes)} good take(s); record at least "
                                          f"{enrollment.MIN_TAKES} (five learn a voice best)",
                    "plain": f"A few more takes first: at least {enrollment.MIN_TAKES}."}
        started = time.process_time()
        numbers = voiceprint.adapt(takes, phrase, cache=enrollment.speech_cache(self.service.settings),
                                   log=lambda msg: log.debug("%s", msg))
        count = len(takes)
        del takes
        self._takes.pop(key, None)  # the audio goes now; only numbers are kept
        if not self._takes:
            self._judge = None
        enrollment.save(self.service.settings, name, numbers, takes=count, phrase=phrase)
        log.info("a voice was learnt from %d takes in %.1f s of CPU", count, time.process_time() - started)
        ear = self.reload_ear()
        message = f"enrolled {name} ({count} takes)"
        message += f"; listening for {name}'s voice now" if ear.get("ok") else f"; {ear.get('error')}"
        return {"ok": True, "message": message, "plain": f"Done: it knows {name}'s voice now.",
                "takes": count}

    def cancel(self, name: str | None) -> dict:
        """Drop the takes, and end a take being recorded now (its request answers "cut short").
        Not behind the lock: Ctrl-C during a take must not wait for it."""
        from pi_pause.service.controller import State

        if self.service.controller.state is State.ENROLLING:
            self.service.controller.command("enroll-end")
        if name:
            self._takes.pop(name.casefold(), None)
        else:
            self._takes.clear()
        if not self._takes and self._lock.acquire(blocking=False):  # the verifier's memory back too
            self._judge = None
            self._lock.release()
        return {"ok": True, "message": "the takes were dropped", "plain": "The takes were dropped."}

    def enrolled(self) -> dict:
        """Who is enrolled (names and take counts: local only, never over MQTT)."""
        people = enrollment.load(self.service.settings)
        return {"ok": True, "people": people.as_json(), "summary": people.summary(),
                "pending": {self._names.get(k, k): len(v) for k, v in self._takes.items()},
                "needed": NEEDED}

    # -- helpers -------------------------------------------------------------------

    def _room_for(self, name: str) -> str:
        """The name checked; a third person (kept or with takes waiting) is refused."""
        name = enrollment.check_room(self.service.settings, name)
        waiting = [k for k in self._takes if k != name.casefold()]
        kept = {p.name.casefold() for p in enrollment.load(self.service.settings).everyone}
        if len(kept | set(waiting) | {name.casefold()}) > enrollment.MAX_PEOPLE:
            raise enrollment.EnrollmentError(
                "two people are being taught already; finish or cancel them first (enroll-cancel)",
                "Two people are being taught already: finish or cancel first.")
        return name

    def _record(self, controller, listener) -> np.ndarray | None:
        """:data:`TAKE_SECONDS` of the listener's frames after the cue, or None if cut short."""
        from pi_pause.service.controller import State

        deadline = time.monotonic() + CUE_SECONDS
        while not controller.cue_done.wait(0.05):
            if controller.state is not State.ENROLLING or time.monotonic() > deadline:
                return None
        frames: list[np.ndarray] = []
        heard = threading.Event()
        wanted = int(TAKE_SECONDS * enrollment.RATE)
        got = [0]

        def sink(frame) -> None:
            if got[0] < wanted:
                frames.append(np.asarray(frame, np.int16).reshape(-1).copy())
                got[0] += len(frames[-1])
            if got[0] >= wanted:
                heard.set()

        listener.divert(sink)
        try:
            deadline = time.monotonic() + TAKE_SECONDS + 3.0
            while not heard.wait(0.05):
                if controller.state is not State.ENROLLING:
                    return None
                if time.monotonic() > deadline:
                    raise enrollment.EnrollmentError("the microphone delivered no sound for the take; "
                                                     "check it with pi-pause doctor",
                                                     "The microphone gave no sound: ask for help to check it.")
        finally:
            listener.divert(None)
        if controller.state is not State.ENROLLING:
            return None
        return np.concatenate(frames)[:wanted].astype(np.float32) / 32768.0
