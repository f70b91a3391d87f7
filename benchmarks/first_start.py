"""How soon does a first start listen, and when can the first pause begin?

It runs ``pi-pause run --simulate`` with an empty clip cache and state folder (a
first start: every clip still to render) and measures, from the moment the
process is started:

* the "ready:" line in its log (the button and the phrase work from then on);
* the first ``pi-pause trigger pause`` that the service accepts;
* "voice clips ready" (the background rendering done), unless ``--no-wait``.

Run:

    .venv/bin/python benchmarks/first_start.py [--no-wait]
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pi_pause.service.control_socket import ControlError, request  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-wait", action="store_true", help="stop once a pause has started")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        sock = folder / "control.sock"
        config = folder / "config.toml"
        config.write_text(f'[paths]\ncache_dir = "{folder}/cache"\nstate_dir = "{folder}/state"\n'
                          f'socket = "{sock}"\n[listen]\nengine = "pocketsphinx"\n')
        env = dict(os.environ, PYTHONPATH=str(ROOT), GPIOZERO_PIN_FACTORY="mock")
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "pi_pause", "--config", str(config), "run",
                                  "--simulate"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, env=env)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put((time.perf_counter(), l)) for l in child.stderr],
                         daemon=True).start()
        marks: dict[str, float] = {}
        try:
            while "ready" not in marks:
                at, line = lines.get(timeout=600)
                if "ready:" in line:
                    marks["ready"] = at - started
            while "pause" not in marks:
                try:
                    if request(sock, "pause", timeout=5).get("ok"):
                        marks["pause"] = time.perf_counter() - started
                except ControlError:
                    time.sleep(0.05)
            while not args.no_wait and "clips" not in marks:
                at, line = lines.get(timeout=1800)
                if "voice clips ready" in line:
                    marks["clips"] = at - started
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
    print(f"first start: ready after {marks['ready']:.1f} s, first pause accepted after "
          f"{marks['pause']:.1f} s" + (f", every clip rendered after {marks['clips']:.0f} s"
                                       if "clips" in marks else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
