"""``pi-pause render`` and ``pi-pause say``: the voice, from the command line.

``render`` synthesises every clip the scripts can need with the current
settings (Piper loads once), removes clips nothing needs any more, and reports
what it did. ``say`` speaks any text through the speaker, or into a WAV file
with ``--out``; it does not touch the render cache.
"""

from __future__ import annotations

import threading

from pi_pause import config
from pi_pause.errors import UserError


class SpeakerError(UserError):
    """No usable sound output for ``pi-pause say``."""


def render_command(args, settings: config.Settings) -> int:
    from pi_pause import dirs
    from pi_pause.progress import Progress
    from pi_pause.voice import prompts
    from pi_pause.voice.light import Light
    from pi_pause.voice.session import Sessions

    dirs.cache_dir(settings)  # here a folder that cannot be written is an error, not memory
    sessions = Sessions(settings, player=None, light=Light(None),
                        prompts=prompts.load(args.prompts or prompts.PROMPTS_DIR))
    with Progress("rendering voice clips") as progress:
        report = sessions.prepare(prune=not args.keep_stale, progress=progress)
    total = report.rendered + report.cached
    print(f"{total} clips: {report.rendered} rendered, {report.cached} already cached, "
          f"{report.repaired} damaged and re-rendered, {report.pruned} stale removed, "
          f"in {report.seconds:.1f} s ({sessions.cache.directory})")
    return 0


def say_command(args, settings: config.Settings) -> int:
    from pi_pause import wav
    from pi_pause.voice.voice import Voice

    if args.out:
        wav.check_writable(args.out)
    text = " ".join(args.text).strip()
    if not text:
        raise UserError("nothing to say; give the words, e.g. pi-pause say \"hello\"")
    voice = Voice.from_settings(settings)
    player = None
    if not args.out:
        from pi_pause.voice.player import SpeakerPlayer

        player = SpeakerPlayer(settings.voice.output_device)
        problem = player.problem(voice.sample_rate)  # before the slow part: loading Piper
        if problem:
            raise SpeakerError(f"cannot play through the speaker ({problem}); check "
                               "[voice] output_device, or write a file with --out FILE.wav")
    clip = voice.synthesize(text)
    samples = (clip.samples * settings.voice.volume).astype("int16")
    if args.out:
        try:
            wav.write(args.out, samples, clip.rate)
        except OSError as exc:
            raise UserError(f"{args.out}: cannot write ({exc.strerror}); "
                            "pick a folder you can write to") from None
        print(f"wrote {args.out} ({clip.seconds:.1f} s)")
        return 0
    player.play(samples, clip.rate, threading.Event())
    if player.failing:
        raise SpeakerError(f"cannot play through the speaker ({player.last_error}); check "
                           "[voice] output_device, or write a file with --out FILE.wav")
    return 0


def voice_command(args, settings: config.Settings) -> int:
    """``pi-pause voice``: the packaged voices, the chosen one marked; with a NAME,
    choose it in the settings file (comments and layout kept)."""
    from pi_pause.settings_file import SettingsFile
    from pi_pause.voice import catalogue

    if args.name is None:
        speaking = catalogue.chosen(settings)
        for voice in catalogue.PACKAGED.values():
            mark = "*" if voice.name == speaking else " "
            print(f"{mark} {voice.name:<6} {voice.about}")
        if speaking not in catalogue.PACKAGED:
            print(f"* {speaking} (a Piper voice of your own)")
        return 0
    path = args.config or config.default_config_path()
    SettingsFile(path).change({("voice", "model"): args.name})  # refused in one line if unknown
    print(f"voice: {args.name}, in {path}; a running service speaks with it after "
          "'sudo systemctl reload pi-pause' (its clips render first, the old voice speaks meanwhile)")
    return 0
