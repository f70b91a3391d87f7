"""``pi-pause web``: the settings page on the home network, and its password.

``pi-pause web`` serves :mod:`pi_pause.web` with waitress (a small, pure-Python WSGI
server that suits a Pi) until stopped; ``pi-pause web password`` stores the couple's
password (read from the terminal twice, or one line from a pipe::

    printf 'four unrelated words\\n' | sudo -u pi-pause pi-pause web password
"""

from __future__ import annotations

import logging
import socket

from pi_pause import config, dirs
from pi_pause.errors import UserError
from pi_pause.commands.new_password import save_new_password
from pi_pause.service.control_socket import request_service
from pi_pause.web.app import MAX_BODY, create_app
from pi_pause.web.guard import Passwords

log = logging.getLogger("pi_pause")

RELOAD_SECONDS = 60.0
# A take is the spoken cue, four seconds heard and a judgement. Learning a voice took 54 s of
# CPU here the first time (11-17 s once voiceprint's bank is cached): minutes on a Pi 4.
TAKE_SECONDS = 60.0
LEARN_SECONDS = 900.0


def _timeout(command: str) -> float:
    verb = command.partition(" ")[0]
    if verb == "enroll-take":
        return TAKE_SECONDS
    if verb in ("enroll-finish", "reload-voices"):
        return LEARN_SECONDS
    return RELOAD_SECONDS if command == "reload" else 5.0


def web_command(args, settings: config.Settings) -> int:
    if args.action == "password":
        return _set_password(settings)
    import waitress

    path = args.config or config.default_config_path()
    # Bound first, before anything else is said: the address is printed only once the
    # page really answers there, and a port in use is the one line that is printed.
    page: list = []
    try:
        server = waitress.create_server(lambda environ, start: page[0](environ, start),
                                        listen=args.listen, threads=4,
                                        max_request_body_size=MAX_BODY, ident="pi-pause")
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise UserError(f"cannot listen on {args.listen} ({why}); pick another with "
                        "--listen HOST:PORT") from None
    # A reload may load a new speech model first (seconds on a Pi): give it time.
    page.append(create_app(path, dirs.state_dir(settings), lambda command: request_service(
        settings, command, timeout=_timeout(command))))
    if not Passwords(dirs.state_dir(settings)).is_set:
        log.warning("no password yet: set one with 'pi-pause web password' before signing in")
    log.info("settings page on http://%s (Ctrl-C to stop)",
             args.listen.replace("*", f"{socket.gethostname()}.local"))
    try:
        server.run()
    finally:
        server.close()
    return 0


def _set_password(settings: config.Settings) -> int:
    where = save_new_password(Passwords(dirs.state_dir(settings)), "New password for the settings page: ",
                              "pi-pause web password")
    print(f"password saved in {where}")
    return 0
