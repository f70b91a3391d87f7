"""Listening: the decoding thread, and the ``detect`` and ``listen`` commands.

:class:`Listener` runs the phrase spotter on its own thread, fed from any frame
source with a ``read(timeout)`` method (a :class:`~pi_pause.mic.Microphone`, or a
recording in tests), and hands each :class:`~pi_pause.events.PhraseHeard` to a
callback. The microphone's audio callback only enqueues; all decoding happens here.

``pi-pause detect FILE.wav`` streams a recording through exactly the same
spotter in 100 ms frames, so what it reports is what the live listener would do.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Protocol

import numpy as np

from pi_pause import config, spotter, wav
from pi_pause.events import PhraseHeard

log = logging.getLogger(__name__)

FRAME = 1600  # 100 ms at 16 kHz


class FrameSource(Protocol):
    def read(self, timeout: float) -> np.ndarray | None: ...


class Listener(threading.Thread):
    """Feeds frames from ``source`` to ``phrase_spotter`` and reports what it hears.

    ``on_heard`` is called on this thread with each :class:`PhraseHeard`; keep it
    quick (put the event on the controller's queue). An error from the source (such
    as :class:`~pi_pause.mic.MicrophoneUnavailable`) ends the thread and is kept in
    :attr:`error` for whoever started it.
    """

    def __init__(self, phrase_spotter: spotter.PhraseSpotter, source: FrameSource,
                 on_heard: Callable[[PhraseHeard], None]):
        super().__init__(name="phrase-spotter", daemon=True)
        self._spotter = phrase_spotter
        self._source = source
        self._on_heard = on_heard
        self._stopping = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                frame = self._source.read(timeout=0.5)
                if frame is None:
                    continue
                heard = self._spotter.feed(frame)
                if heard is not None:
                    self._on_heard(heard)
        except Exception as exc:  # handed to the owner, which decides what to say
            self.error = exc

    def stop(self) -> None:
        self._stopping.set()


def _phrases(args) -> tuple[str, ...] | None:
    if not args.phrase:
        return None
    cleaned = tuple(" ".join(p.lower().split()) for p in args.phrase)
    if not all(cleaned):
        raise spotter.PhraseError("--phrase is empty; give the words to listen for, "
                                  "e.g. --phrase \"let's take a pause\"")
    return cleaned


def detect_command(args, settings: config.Settings) -> int:
    """``pi-pause detect FILE.wav``: print each detection in a recording."""
    samples = wav.read(args.file)  # any rate / channels; a bad file is a one-line WavError
    with spotter.open_spotter(settings, phrases=_phrases(args), engine=args.engine) as s:
        found = 0
        for frame in wav.frames(samples, FRAME):
            heard = s.feed(frame)
            if heard is None:
                continue
            found += 1
            if args.json:
                print(json.dumps({"event": "detected", "phrase": heard.phrase,
                                  "time": heard.time}, ensure_ascii=False), flush=True)
            else:
                print(f"{heard.time:8.2f} s  heard {heard.phrase!r}", flush=True)
    if not args.json and not found:
        print(f"no phrase heard in {args.file} ({len(samples) / wav.RATE:.1f} s of audio)")
    return 0


def listen_command(args, settings: config.Settings) -> int:
    """``pi-pause listen``: print each detection from the microphone until Ctrl-C."""
    from pi_pause.mic import Microphone

    # The microphone first: with none, say so at once instead of after loading a model.
    with Microphone(settings.listen.input_device) as mic:
        with spotter.open_spotter(settings, phrases=_phrases(args), engine=args.engine) as s:
            def heard(event: PhraseHeard) -> None:
                print(f"heard {event.phrase!r}", flush=True)

            listener = Listener(s, mic, heard)
            listener.start()
            log.info("listening; press Ctrl-C to stop")
            try:
                while listener.is_alive():
                    listener.join(timeout=0.5)
            finally:
                listener.stop()
                listener.join(timeout=2)
            if listener.error is not None:
                raise listener.error
    return 0
