"""``pi-pause preview``: hear and see a whole session with no speaker or LED.

The chosen script runs on a fake clock, so it takes only as long as rendering
any missing clips; the audio (silences included, each at its exact time) goes
to a WAV file and the LED's brightness is printed as time / brightness rows::

    pi-pause preview pause --out pause.wav
       0.0  1.00  ####################
       0.5  1.00  ####################
       ...

The couple's prompt rotation is not advanced by a preview.
"""

from __future__ import annotations

import datetime as dt

from pi_pause import config, wav
from pi_pause.errors import UserError
from pi_pause.voice.session_clock import FakeClock
from pi_pause.voice.light import Light, levels
from pi_pause.voice.player import WavSink
from pi_pause.voice.rotation import Rotation


def preview(settings: config.Settings, kind: str, out, now: dt.datetime | None = None,
            step: float = 0.5, prompts_dir=None) -> tuple[float, list[tuple[float, float]]]:
    """Run script ``kind`` into the WAV file ``out``; returns (seconds, LED rows)."""
    import threading

    from pi_pause.voice import prompts
    from pi_pause.voice.session import Sessions
    from pi_pause.wallclock import return_time

    wav.check_writable(out)
    clock = FakeClock()
    sink = WavSink(out, clock=clock)
    light = Light(None, clock=clock.now, record=True)
    sessions = Sessions(settings, sink, light, clock, rotation=Rotation(None),
                        prompts=prompts.load(prompts_dir or prompts.PROMPTS_DIR))
    now = now or dt.datetime.now()
    context = {"return_time": return_time(now, settings.pause.break_minutes)}
    sessions.run(kind, cancel=threading.Event(), skip=threading.Event(), context=context)
    try:
        seconds = sink.close()
    except OSError as exc:
        raise UserError(f"{out}: cannot write the preview ({exc.strerror}); "
                        "pick a folder you can write to") from None
    return seconds, levels(light.history, clock.now(), step=step)


def preview_command(args, settings: config.Settings) -> int:
    if args.step <= 0:
        raise UserError(f"--step {args.step:g}: use a positive number of seconds, e.g. 0.5")
    seconds, rows = preview(settings, args.script, args.out, step=args.step,
                            prompts_dir=args.prompts)
    print("  time  light")
    for t, level in rows:
        print(f"{t:6.1f}  {level:4.2f}  {'#' * round(level * 20)}")
    print(f"wrote {args.out}: the {args.script} script, {seconds:.1f} s")
    return 0
