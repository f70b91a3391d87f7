"""The ``detect`` and ``listen`` commands.

``pi-pause detect FILE.wav`` streams a recording through exactly the same
spotter in 100 ms frames, so what it reports is what the live listener would do.
It reads the file a block at a time (an hour of audio needs no more memory than a
minute) and, at the end, lets the spotter hear the end of the last words.
``pi-pause listen`` runs the service's own :class:`~pi_pause.ear.listener.Listener`
(decoding on its own thread; the microphone's audio callback only enqueues) and
prints each detection.
"""

from __future__ import annotations

import json
import logging

from pi_pause import config
from pi_pause.ear import spotter
from pi_pause.wav_stream import WavStream
from pi_pause.events import PhraseHeard

log = logging.getLogger(__name__)

FRAME = 1600  # 100 ms at 16 kHz


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
    # Any rate / channels; a bad file (or a pipe) is a one-line WavError, before the model loads.
    with WavStream(args.file) as audio, \
            spotter.open_spotter(settings, phrases=_phrases(args), engine=args.engine) as s:
        found = 0
        for frame in audio.frames(FRAME):
            found += _show(s.feed(frame), args.json)
        found += _show(s.finish(), args.json)  # a phrase that ends the file counts too
    if not args.json and not found:
        print(f"no phrase heard in {args.file} ({audio.seconds:.1f} s of audio)")
    return 0


def _show(heard: PhraseHeard | None, as_json: bool) -> int:
    if heard is None:
        return 0
    if as_json:
        print(json.dumps({"event": "detected", "phrase": heard.phrase, "time": heard.time},
                         ensure_ascii=False), flush=True)
    else:
        print(f"{heard.time:8.2f} s  heard {heard.phrase!r}", flush=True)
    return 1


def listen_command(args, settings: config.Settings) -> int:
    """``pi-pause listen``: print each detection from the microphone until Ctrl-C."""
    import time

    from pi_pause.echo import EchoGuard
    from pi_pause.ear.listener import Listener
    from pi_pause.ear.microphone import Microphone

    def microphone():
        return Microphone(settings.listen.input_device)

    # The microphone first: with none, say so at once instead of after loading a model.
    with microphone():
        pass
    with spotter.open_spotter(settings, phrases=_phrases(args), engine=args.engine, live=True) as s:
        def heard(event: PhraseHeard) -> None:
            print(f"heard {event.phrase!r}", flush=True)

        # Unplugged later, the microphone is retried until it is back, as in the service.
        listener = Listener(microphone, s, EchoGuard(), heard).start()
        log.info("listening; press Ctrl-C to stop")
        try:
            while not listener.finished.is_set():
                time.sleep(0.5)
        finally:
            listener.stop()
    return 0
