"""``pi-pause doctor``: is everything pi-pause needs in place? One line per check.

Each line starts with ``ok``, ``warn``, ``FAIL``, ``info`` or ``skip`` and, for a
warning or failure, ends with a concrete fix (``info`` is only worth knowing)::

    ok    config: /etc/pi-pause/config.toml
    FAIL  microphone: no audio input device found; fix: plug in a USB microphone, check it with 'arecord -l', ...
    warn  GPIO: mock pins (no GPIO on this machine); fix: on a Raspberry Pi, install python3-lgpio ...

The exit status is 1 when any check failed, so scripts can use it. A check that
itself breaks unexpectedly is reported as a FAIL line; the doctor never
crashes halfway. Checks that belong to other parts of pi-pause (the phrase
vocabulary, the speech engine) call into the wing that knows the answer.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pi_pause import config
from pi_pause.errors import UserError

SERVICE_USER = "pi-pause"  # as in systemd/pi-pause.sysusers and the unit's User=
# A Pi without internet can still get the model: copy the download over (models/README.md).
OFFLINE_HINT = "; with no internet here, download it on another computer, copy it over and add --from FILE"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    status: str  # "ok", "warn", "FAIL", "info" (worth knowing, nothing to do) or "skip"
    name: str
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<5} {self.name}: {self.message}"
        return f"{text}; fix: {self.fix}" if self.fix and self.status in ("warn", "FAIL", "skip") else text


def run_checks(settings: config.Settings, config_path: Path | None = None) -> list[Check]:
    checks = []
    for check in (check_config, check_native_parts, check_microphone, check_speaker, check_engine,
                  check_phrases, check_voice, check_folders, check_gpio, check_clock, check_service,
                  check_home_assistant):
        try:
            result = check(settings, config_path)
        except UserError as exc:  # a setting it needed is the problem: say which
            name = check.__name__.removeprefix("check_")
            result = [Check("FAIL", name, str(exc), "change what the message names")]
        except Exception as exc:  # a broken check must not hide the others
            name = check.__name__.removeprefix("check_")
            result = [Check("FAIL", name, f"the check itself failed ({type(exc).__name__}: {exc})",
                            "report this as a bug, with the line above")]
        checks.extend(result if isinstance(result, list) else [result])
    return checks


def doctor_command(args, settings: config.Settings) -> int:
    checks = run_checks(settings, args.config)
    for check in checks:
        print(check.line())
    return 1 if any(c.status == "FAIL" for c in checks) else 0


# -- the checks ------------------------------------------------------------------

def check_config(settings, config_path) -> Check:
    # A config that does not parse never gets here: the command line already
    # printed its one-line error. So here it is about which file is in force.
    if config_path is not None:
        return Check("ok", "config", str(config_path))
    path = config.default_config_path()
    if path.exists():
        return Check("ok", "config", str(path))
    return Check("ok", "config", f"no {path}; using the defaults")


# The compiled parts pi-pause loads: (module, PyPI package, what it does). Each comes as a
# wheel built for one glibc and processor; on a system older than the wheel (Raspberry Pi OS
# Bullseye has glibc 2.31; pyopen-wakeword's aarch64 wheel needs 2.35) the import is where
# it fails, so the doctor tries each one and names the one that does not load.
NATIVE_PARTS = (
    ("numpy", "numpy", "audio arithmetic"),
    ("soxr", "soxr", "resampling"),
    ("pocketsphinx", "pocketsphinx", "the first stage"),
    ("vosk", "vosk", "the Vosk listener"),
    ("ctranslate2", "ctranslate2", "the Whisper verifier"),
    ("tokenizers", "tokenizers", "the Whisper verifier"),
    ("onnxruntime", "onnxruntime", "the Piper voice"),
    ("pi_pause.ear.speech_embedding", "pyopen-wakeword", "the embedding first stage (TFLite)"),
)
OLD_SYSTEM_FIX = ("pi-pause needs a 64-bit system with glibc 2.35 or newer and Python 3.11 or newer: "
                  "on a Pi, Raspberry Pi OS Lite (64-bit) Bookworm or later (docs/setup-pi.md, "
                  "\"Which Raspberry Pi OS\"); on a current system, reinstall with "
                  "'.venv/bin/python -m pip install --force-reinstall PACKAGE'")


def check_native_parts(settings, _, parts=NATIVE_PARTS) -> Check:
    import platform

    broken = []
    for module, package, role in parts:
        try:
            loaded = importlib.import_module(module)
            if module.endswith("speech_embedding"):  # the TFLite library loads on first use
                loaded.SpeechFrontEnd().close()
        except (ImportError, OSError, UserError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            broken.append(f"{package} ({role}) does not load: {reason}")
    machine = platform.machine()
    if broken:
        return Check("FAIL", "native parts", f"on {machine}, " + "; ".join(broken),
                     OLD_SYSTEM_FIX.replace("PACKAGE", " ".join(
                         p for m, p, _ in parts if any(b.startswith(f"{p} (") for b in broken))))
    return Check("ok", "native parts", f"{len(parts)} compiled packages load on {machine} "
                                       f"({', '.join(dict.fromkeys(p for _, p, _ in parts))})")


def check_microphone(settings, _) -> Check:
    return _audio_device("microphone", "input", settings.listen.input_device, "[listen] input_device",
                         "plug in a USB microphone and check it with 'arecord -l'")


def check_speaker(settings, _) -> Check:
    return _audio_device("speaker", "output", settings.voice.output_device, "[voice] output_device",
                         "connect a speaker (USB, HDMI or the headphone jack) and check it "
                         "with 'aplay -l'", "until then the device cannot speak (the button, "
                         "the light and the schedule still work)")


def _audio_device(name: str, kind: str, wanted: str, key: str, plug: str,
                  meanwhile: str = "the service waits and retries until one appears") -> Check:
    try:
        import sounddevice as sd
    except OSError:
        return Check("FAIL", name, "the PortAudio library is missing",
                     "sudo apt install libportaudio2")
    device = config.sound_device(wanted)
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        info = sd.query_devices(device, kind=kind) if device is not None else \
            sd.query_devices(kind=kind)
    except (ValueError, sd.PortAudioError):
        info = None
    if info is None or not info.get(channels):
        others = [d["name"] for d in sd.query_devices() if d.get(channels)]
        if device is not None:
            found = ", ".join(repr(n) for n in others) or "none"
            return Check("FAIL", name, f"no audio {kind} device matches {wanted!r} "
                                       f"(found: {found})",
                         f"set {key} to one of the found names, or empty for the default")
        if others:
            return Check("FAIL", name, f"no default audio {kind} device, but found "
                                       + ", ".join(repr(n) for n in others),
                         f"set {key} to one of those names")
        return Check("FAIL", name, f"no audio {kind} device found on this machine",
                     f"{plug}; {meanwhile}")
    return Check("ok", name, f"{info['name']} ({int(info['default_samplerate'])} Hz)")


def check_engine(settings, _) -> Check:
    """The engine in force (what ``auto`` resolves to: ``spotter.chosen_engine``, as ``run``
    and ``models list`` ask), and whether what it needs is there. A model that only an
    engine not in force would use is not this check's business."""
    from pi_pause.commands.models import describe_missing
    from pi_pause.ear import spotter, verifier, vosk_engine

    engine = spotter.chosen_engine(settings)
    model = settings.resolve(settings.listen.vosk_model)
    problem = vosk_engine.model_problem(model)
    # describe_missing names the folder and the exact install command (the manifest
    # name, --models-dir when the folder is not the default one, --force to repair).
    install = describe_missing(settings) or f"reinstall the model in {model}"
    offline = OFFLINE_HINT if "pi-pause models install" in install else ""
    if settings.listen.engine in ("auto", "two-stage") and (damaged := verifier.model_problem()):
        what, _, fix = damaged.partition("; fix: ")
        until = (f"; until then engine = \"auto\" listens with {engine}" if engine != "two-stage"
                 else "")
        return Check("FAIL", "speech engine", what, fix + until)
    if engine == "two-stage":
        return _check_two_stage(settings, model if model.exists() and problem else None)
    if engine == "vosk" and problem is not None:
        what = (f"Vosk model folder {model} is missing" if problem == vosk_engine.MISSING
                else f"{model} is not a Vosk model folder ({problem})")
        return Check("FAIL", "speech engine", what, f"{install}{offline}; or set [listen] engine = \"auto\"")
    if engine == "pocketsphinx":
        return Check("ok", "speech engine", "PocketSphinx (built in)" + _auto_why(settings))
    if engine == "embedding":
        return _check_embedding(settings)
    return Check("ok", "speech engine", f"Vosk with {model}" + _auto_why(settings))


def _auto_why(settings) -> str:
    from pi_pause.ear import spotter

    return f" (engine auto: {spotter.auto_reason(settings)})" if settings.listen.engine == "auto" else ""


def _check_two_stage(settings, broken_vosk: Path | None) -> Check:
    """Which first stages propose (the Whisper verifier's model is intact: checked above)."""
    from pi_pause.ear import first_stages, spotter

    stages = "; ".join(first_stages.describe(settings, settings.listen.phrases,
                                               spotter.trained_models_dir(settings)))
    message = f"two-stage: proposed by {stages}; each candidate confirmed by Whisper tiny.en"
    from pi_pause.ear import whisper_base

    # Looks only (the doctor creates nothing): the parts, or the folder they were joined into.
    second = whisper_base.model_problem(settings.resolve(settings.paths.cache_dir))
    if second is not None:
        what, _, fix = second.partition("; fix: ")
        return Check("warn", "speech engine", f"{message} alone, so it hears less in babble and TV: "
                     f"{what}", fix)
    from pi_pause.ear import enrollment

    if enrollment.load(settings, settings.listen.phrases).people:
        message += (", and when tiny.en is unsure, by your enrolled voices if it sounds like one of you, "
                    "else by Whisper base (model files checked)")
    else:
        message += ", and by Whisper base when tiny.en is unsure (model files checked)"
    if broken_vosk is not None:
        return Check("warn", "speech engine", f"{message}; the Vosk model folder {broken_vosk} is "
                     "incomplete, so it is not used as a first stage",
                     f"pi-pause models install ... --force, or remove {broken_vosk}")
    return Check("ok", "speech engine", message)


def _check_embedding(settings) -> Check:
    from pi_pause.ear import embedding_engine, spotter
    from pi_pause.ear.speech_embedding import SpeechFrontEnd

    try:
        SpeechFrontEnd().close()
    except UserError as exc:
        return Check("FAIL", "speech engine", str(exc), "or set [listen] engine = \"auto\"")
    for phrase in settings.listen.phrases:
        ok, _ = embedding_engine.check(phrase, spotter.trained_models_dir(settings))
        if not ok:
            return Check("FAIL", "speech engine", f"no phrase model for {phrase!r}",
                         f"train one with `pi-pause phrase train \"{phrase}\"`, or set [listen] engine = \"auto\"")
    return Check("ok", "speech engine", "openWakeWord embeddings with a phrase model for each phrase")


def check_phrases(settings, config_path) -> list[Check]:
    """Will the phrases be heard? ``spotter.check`` answers: the code that listens, for the
    engine in force; an optional stage that is not there is information, not a failure."""
    from pi_pause.ear import spotter

    verdict = spotter.check(settings)
    if not verdict.ok:
        where = config_path or config.default_config_path()
        return [Check("FAIL", "phrase", verdict.problem,
                      f"change [listen] phrases in {where} (or on the settings page) and reload; "
                      "until then the button and the check-in work, but nothing listens; "
                      "`pi-pause phrase check TEXT` tries a phrase")]
    listening = verdict.listening
    said = " and ".join(repr(p) for p in listening.phrases)
    lines = [Check("ok", "phrase", f"{said} will be heard ({listening.engine})")]
    lines += [Check("warn", "phrase", w.message, "pick a longer phrase in [listen] phrases")
              for w in listening.warnings]
    lines += [Check("info", "phrase", note, "nothing needs doing") for note in listening.notes]
    if listening.voices:
        lines.append(Check("info", "voices", listening.voices, "nothing needs doing"))
    return lines


def check_voice(settings, _) -> Check:
    from pi_pause.voice import catalogue

    problem = catalogue.problem(settings)
    if problem is not None:
        return Check("FAIL", "voice", problem,
                     f"set [voice] model to {config.VOICE_CHOICES}")
    return Check("ok", "voice", catalogue.describe(settings))


def check_folders(settings, _) -> list[Check]:
    lines = []
    for key, what in (("cache_dir", "cache"), ("state_dir", "state")):
        folder = settings.resolve(getattr(settings.paths, key))
        if _owned_by_the_service_user(folder):
            lines.append(Check("ok", f"{what} folder", f"{folder} belongs to the service user "
                                                       f"{SERVICE_USER}"))
            continue
        problem = _not_writable(folder)
        fix = (f"sudo install -d -o pi-pause -g pi-pause -m 0750 {folder} (the systemd unit "
               f"creates it), or set [paths] {key}")
        lines.append(Check("FAIL", f"{what} folder", f"{folder} {problem}", fix) if problem
                     else Check("ok", f"{what} folder", f"{folder} is writable" if folder.exists()
                                else f"{folder} will be created at the first run"))
    return lines


def check_gpio(settings, _) -> Check:
    from pi_pause.service import gpio

    pins = gpio.choose()
    g = settings.gpio
    where = f"button on GPIO{g.button_pin}, LED on GPIO{g.led_pin}"
    if pins.simulated:
        fix = ("on a Raspberry Pi, install python3-lgpio (./bootstrap.sh does) and check "
               "'pinout'" if pins.problem else "unset GPIOZERO_PIN_FACTORY to use the real pins")
        return Check("warn", "GPIO", f"{pins.description}; {where} are simulated", fix)
    from gpiozero import Button, PWMLED
    from gpiozero.exc import GPIOZeroError

    try:
        Button(g.button_pin, pin_factory=pins.factory).close()
        PWMLED(g.led_pin, pin_factory=pins.factory).close()
    except (GPIOZeroError, OSError) as exc:
        if _service_answers(settings):
            # A pin can be claimed by one process only: the running service has them.
            return Check("ok", "GPIO", f"{pins.description}; {where}, in use by the running "
                                       "service")
        return Check("FAIL", "GPIO", f"cannot use the pins ({exc})",
                     "stop other programs using them (is pi-pause already running?), "
                     "or pick other pins in [gpio]")
    finally:
        pins.factory.close()
    return Check("ok", "GPIO", f"{pins.description}; {where}")


def check_clock(settings, _) -> Check:
    from pi_pause.wallclock import SystemClock
    from pi_pause.service.schedule import CheckinSchedule

    sched = CheckinSchedule.from_settings(settings)
    zone = str(getattr(sched.tz, "key", sched.tz))
    if not settings.checkin.enabled:
        return Check("ok", "check-in", f"off (time zone {zone})")
    nxt = sched.next_check(SystemClock(sched.tz).now())
    message = f"next {nxt:%a %d %b %H:%M %Z}" if nxt else "no check-in day chosen"
    if zone in ("UTC", "Etc/UTC", "localtime") and not os.environ.get("TZ"):
        return Check("warn", "check-in", f"{message}, in time zone {zone}",
                     "if you do not live on UTC, run 'sudo timedatectl set-timezone "
                     "Europe/London' (your zone)")
    return Check("ok", "check-in", f"{message} ({zone})")


def check_service(settings, _) -> Check:
    from pi_pause.service.control_socket import ControlError, request_service

    try:
        reply = request_service(settings, "status", timeout=2)
    except ControlError:
        return Check("warn", "service", "not running",
                     "start it with 'sudo systemctl start pi-pause' or 'pi-pause run'")
    return Check("ok", "service", f"running: {reply.get('message', reply.get('state', '?'))}")


def check_home_assistant(settings, _) -> Check:
    """The MQTT bridge's settings: is the broker there, is a password set, does TLS check out."""
    import dataclasses

    from pi_pause import dirs
    from pi_pause.mqtt.bridge import reach_problem
    from pi_pause.mqtt.secret import BrokerPassword

    mqtt = settings.mqtt
    if not mqtt.host:
        return Check("ok", "Home Assistant", "off (no [mqtt] host); see docs/home-assistant.md")
    if mqtt.tls_ca:
        ca = settings.resolve(mqtt.tls_ca)
        if not os.access(ca, os.R_OK):
            return Check("FAIL", "Home Assistant", f"[mqtt] tls_ca {ca} cannot be read",
                         "give the path of the broker's CA certificate (PEM), readable by the "
                         "pi-pause user (keep it in /etc/pi-pause), or leave tls_ca empty")
        mqtt = dataclasses.replace(mqtt, tls_ca=str(ca))
    problem = reach_problem(mqtt, timeout=2).replace("; trying again", "")
    if problem:
        return Check("warn", "Home Assistant", problem, "the bridge keeps trying; start the "
                     "broker, or correct [mqtt] host and port")
    where = f"broker {mqtt.host}:{mqtt.port}{' over TLS' if mqtt.tls_ca else ''}"
    try:
        has_password = BrokerPassword(dirs.state_dir(settings)).path.exists()
    except UserError:
        has_password = False
    if mqtt.user and not has_password:
        return Check("warn", "Home Assistant", f"{where} answers; user {mqtt.user} has no password here",
                     "set it: sudo -u pi-pause pi-pause mqtt password")
    return Check("ok", "Home Assistant", f"{where} answers"
                 + (f"; user {mqtt.user}, password set" if mqtt.user else ""))


def _service_answers(settings) -> bool:
    from pi_pause.service.control_socket import ControlError, request_service

    try:
        request_service(settings, "status", timeout=2)
    except ControlError:
        return False
    return True


def _owned_by_the_service_user(folder: Path) -> bool:
    """Whether ``folder`` belongs to the ``pi-pause`` user and we are someone else.

    The systemd unit creates the cache and state folders for that user only
    (mode 0750), so anyone else running the doctor cannot write there, and need not.
    """
    import pwd

    try:
        owner = folder.stat().st_uid
        return owner != os.geteuid() and pwd.getpwuid(owner).pw_name == SERVICE_USER
    except (OSError, KeyError):
        return False


def _not_writable(folder: Path) -> str:
    """Why pi-pause could not write in ``folder``, or '' (the doctor creates nothing)."""
    if folder.exists():
        if not folder.is_dir():
            return "is not a folder"
        target = folder
    else:
        target = next((p for p in folder.parents if p.exists()), None)
        if target is None or not target.is_dir():
            return "cannot be created"
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".pi-pause-doctor-"):
            pass
    except OSError as exc:
        where = "is" if target == folder else f"cannot be created: {target}"
        return f"{where} not writable ({exc.strerror or exc})"
    return ""
