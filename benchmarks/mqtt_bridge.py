"""How light and how quick is the Home Assistant bridge? Its memory, its CPU, and the delay
from the service's state to Home Assistant's.

Builds the tests' house (tests/mqtt_house.py): a real Mosquitto on a loopback port, the real
service with stand-in ear and voice, the real `pi-pause mqtt` process, and an MQTT client.
Then it starts and stops pauses, from the control socket (as the button would, through the
service) and from MQTT (as Home Assistant's button), and times when each change is heard
on MQTT. Last, it leaves the bridge idle and reads its CPU time and memory from /proc. Run:

    .venv/bin/python -m benchmarks.mqtt_bridge [--cycles 20] [--idle 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from pi_pause.service.control_socket import request
from tests.mqtt_house import House


def proc(pid: int) -> dict:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return {"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "hwm_mb": int(status["VmHWM"].split()[0]) / 1024,
            "cpu_s": (int(fields[11]) + int(fields[12])) / 100}


def heard_after(house: House, topic: str, payload: str, mark: int, started: float) -> float:
    house.listener.wait_for(topic, payload, after=mark, timeout=10)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds left idle at the end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        house = House(Path(folder))
        try:
            house.set_password()
            house.start_service()
            started = time.monotonic()
            house.start_bridge()
            first = heard_after(house, "pi-pause/state", "idle", 0, started)
            socket_path = house.folder / "control.sock"
            to_mqtt, from_mqtt = [], []
            for _ in range(args.cycles):
                time.sleep(random.uniform(0, 1.5))  # out of step with the bridge's looks, as life is
                mark, t = len(house.listener.heard()), time.monotonic()
                request(socket_path, "pause")
                to_mqtt.append(heard_after(house, "pi-pause/state", "pausing", mark, t))
                mark, t = len(house.listener.heard()), time.monotonic()
                house.listener.publish("pi-pause/command", "stop")
                from_mqtt.append(heard_after(house, "pi-pause/command/result",
                                             '{"command": "stop", "ok": true, "message": "stopped"}', mark, t))
                heard_after(house, "pi-pause/state", "idle", mark, t)
            before = proc(house.bridge.pid)
            time.sleep(args.idle)
            after = proc(house.bridge.pid)
        finally:
            house.close()
    ms = lambda values, q: 1000 * statistics.quantiles(values, n=10)[q] if len(values) > 1 else 1000 * values[0]
    print(f"start to the first state on MQTT: {first:.2f} s")
    print(f"service state -> MQTT ({args.cycles} pauses): median {1000 * statistics.median(to_mqtt):.0f} ms, "
          f"p90 {ms(to_mqtt, 8):.0f} ms, max {1000 * max(to_mqtt):.0f} ms")
    print(f"MQTT command -> service's answer on MQTT: median {1000 * statistics.median(from_mqtt):.0f} ms, "
          f"p90 {ms(from_mqtt, 8):.0f} ms")
    idle_cpu = (after["cpu_s"] - before["cpu_s"]) / args.idle * 100
    print(f"idle CPU: {idle_cpu:.2f} % of one core over {args.idle:.0f} s (one status a second)")
    print(f"memory: VmRSS {after['rss_mb']:.1f} MB, VmHWM {after['hwm_mb']:.1f} MB")


if __name__ == "__main__":
    main()
