"""``pi-pause trigger`` and ``pi-pause status``: talking to the running service.

Both send one request over the service's control socket
(:mod:`pi_pause.service.control_socket`) and print its answer; the exit status
is 1 when the service refused or could not be reached.
"""

from __future__ import annotations

import json

from pi_pause.service.control_socket import ControlError, request_service


def trigger_command(args, settings) -> int:
    """``pi-pause trigger pause|checkin|stop``: prints the service's answer."""
    reply = request_service(settings, args.what)
    print(reply.get("message") or reply.get("error") or ("ok" if reply.get("ok") else "refused"))
    return 0 if reply.get("ok") else 1


def status_command(args, settings) -> int:
    """``pi-pause status``: the service's state, as a line or as JSON. With ``--json``
    there is always one JSON object, ``"running": false`` when no service answers (so a
    script or home automation can read it), and the exit status says the same."""
    if args.json:
        try:
            reply = {"running": True, **request_service(settings, "status")}
        except ControlError as exc:
            reply = {"running": False, "ok": False, "error": str(exc)}
        print(json.dumps(reply))
        return 0 if reply.get("ok") else 1
    reply = request_service(settings, "status")
    if reply.get("ok"):
        print(reply.get("message") or reply.get("state", "running"))
    else:
        print(reply.get("error", "refused"))
    return 0 if reply.get("ok") else 1
