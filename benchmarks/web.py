"""How light and quick is the settings page? Peak memory of `pi-pause web` and its response times.

Starts the real `pi-pause web` (waitress) on a free local port, with a stand-in service
behind a real control socket (a `ControlServer` answering `status` and `reload`), signs in
as a phone would, then times page loads and settings changes. Run:

    .venv/bin/python -m benchmarks.web [--requests 200]

It prints the median and 90th percentile of each request in milliseconds, and the web
process's resident memory (VmRSS) and peak (VmHWM) from /proc.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from pi_pause.service.control_socket import ControlServer

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "four unrelated words"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pi-pause-web-bench-") as tmp:
        tmp = Path(tmp)
        path = tmp / "config.toml"
        path.write_text(f'[paths]\nstate_dir = "{tmp}"\ncache_dir = "{tmp}"\n'
                        f'socket = "{tmp / "control.sock"}"\n')
        status = {"ok": True, "state": "idle", "message": "idle, listening", "microphone": "listening"}
        server = ControlServer(tmp / "control.sock", lambda command: dict(
            status, message="settings reloaded") if command == "reload" else status).start()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        base = [sys.executable, "-m", "pi_pause", "--config", str(path), "web"]
        subprocess.run(base + ["password"], input=PASSWORD + "\n", text=True, check=True, env=env)
        port = free_port()
        started = time.perf_counter()
        web = subprocess.Popen(base + ["--listen", f"127.0.0.1:{port}"], env=env)
        try:
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                time.sleep(0.02)
            print(f"listening after {time.perf_counter() - started:.2f} s; "
                  f"memory at start: {memory_kb(web.pid)}")
            url = f"http://127.0.0.1:{port}"
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

            def token(page: str) -> str:
                html = opener.open(url + page).read().decode()
                return re.search(r'name="csrf" value="([^"]+)"', html).group(1)

            def post(page: str, fields: dict) -> None:
                data = urllib.parse.urlencode(fields, doseq=True).encode()
                request = urllib.request.Request(url + page, data=data, headers={"Origin": url})
                opener.open(request).read()

            post("/login", {"password": PASSWORD, "csrf": token("/login")})
            csrf = token("/")
            timings: dict[str, list[float]] = {"GET / (status, settings)": [], "POST /settings (save + reload)": []}
            for i in range(args.requests):
                t0 = time.perf_counter()
                opener.open(url + "/").read()
                timings["GET / (status, settings)"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                post("/settings", {"csrf": csrf, "group": "checkin", "checkin.enabled": "on",
                                   "checkin.time": f"21:{i % 60:02d}", "checkin.days": ["mon", "fri"]})
                timings["POST /settings (save + reload)"].append(time.perf_counter() - t0)
            for name, values in timings.items():
                ms = sorted(v * 1000 for v in values)
                print(f"{name}: median {statistics.median(ms):.1f} ms, "
                      f"p90 {ms[int(0.9 * len(ms))]:.1f} ms over {len(ms)}")
            print(f"memory after {2 * args.requests} requests: {memory_kb(web.pid)}")
        finally:
            web.terminate()
            web.wait(timeout=10)
            server.close()


if __name__ == "__main__":
    main()
