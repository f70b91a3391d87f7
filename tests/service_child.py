"""A real pi-pause service with stand-in hearing and speech, run as its own process,
so that the restart tests can SIGTERM or ``kill -9`` it mid-pause.

    python -m tests.service_child STATE_DIR SOCKET

It prints "ready" once it listens, and stops (as ``pi-pause run`` does) on SIGTERM.
"""

from __future__ import annotations

import io
import signal
import sys
import threading

from pi_pause import config
from pi_pause.service.wiring import Options, Service
from tests.standins import ScriptedSessions, stand_in_parts
from tests.test_listener import CountingSpotter, ScriptedMic


def main(state_dir: str, sock: str) -> int:
    settings = config.parse(f'[paths]\nstate_dir = "{state_dir}"\ncache_dir = "{state_dir}"\n'
                            f'socket = "{sock}"\n'
                            # no check-in: with the default 21:00, a run between 21:00 and 21:30
                            # would start with the check-in that is due and refuse the pause
                            '[checkin]\nenabled = false\n')
    parts = stand_in_parts(spotter=CountingSpotter(), mic=ScriptedMic(), sessions=ScriptedSessions())
    service = Service(settings, Options(simulate=True), parts=parts, out=io.StringIO(),
                      keyboard=io.StringIO(""))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        service.start(stopping)
        print("ready", flush=True)
        return service.wait(stopping)
    finally:
        service.stop()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
