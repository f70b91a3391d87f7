"""The bridge itself: paho-mqtt on one side, the control socket on the other.

Two threads. paho's network thread keeps the broker connection: it connects (the broker
may be absent at first), reconnects with a growing wait (1 s up to a minute) after the
broker goes away, and hands over commands. The bridge's own thread asks the service for
its status about once a second (:data:`POLL_SECONDS`), publishes what changed, and runs
the commands that came in, one at a time, through the same control socket as
``pi-pause trigger``, so the replies (and refusals) are the same.

Why polling and not a subscription on the control socket: the service stays as it is,
one line in and one line out per connection, and never holds a queue or a thread for a
follower that might be slow or stuck; ``status`` is answered without the controller's
thread (a lock, a few fields). The price is up to a second between the LED and the lights
of the house, and one tiny local connection a second. Counters in the status reply mean
a pause that began and ended between two looks still gives both events.

What a slow or hostile broker can cost is bounded: commands wait in a queue of
:data:`MAX_COMMANDS` (more are dropped), a message over :data:`MAX_PAYLOAD` bytes is
ignored, the broker is asked (MQTT 5 maximum packet size) never to send more than
:data:`MAX_PACKET`, and paho keeps at most :data:`MAX_QUEUED` unacknowledged messages.
Nothing is published while the broker is away; on reconnecting, everything retained is
said again, and events missed meanwhile are not replayed (they were for then).

Each problem is logged once, when it starts, and once more when it is over.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from pi_pause.config import MqttSettings
from pi_pause.errors import UserError
from pi_pause.mqtt.follow import Follower
from pi_pause.mqtt.topics import COMMANDS, Topics, discovery

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
WATCH_SECONDS = 2.0           # how often the settings are looked at for a change
KEEPALIVE_SECONDS = 30
RECONNECT_SECONDS = (1, 60)   # the first wait after losing the broker, and the longest
MAX_COMMANDS = 8
MAX_PAYLOAD = 64             # "checkin" is the longest command; Home Assistant's "online"
MAX_PACKET = 4096
MAX_QUEUED = 100

Ask = Callable[[str], dict]


class Problems:
    """Logs a problem once when it appears (or changes), and once when it is gone."""

    def __init__(self) -> None:
        self._now: dict[str, str] = {}
        self._lock = threading.Lock()

    def report(self, kind: str, text: str) -> None:
        with self._lock:
            if self._now.get(kind) == text:
                return
            self._now[kind] = text
        log.warning("%s", text)

    def solved(self, kind: str, text: str | None = None) -> None:
        """``kind`` is over; say ``text`` if it had been reported."""
        with self._lock:
            if self._now.pop(kind, None) is None:
                return
        if text:
            log.info("%s", text)


class Bridge:
    """Follows the service and speaks MQTT; :meth:`run` until ``stopping`` is set."""

    def __init__(self, settings: MqttSettings, password: str, ask: Ask) -> None:
        if not settings.host:
            raise UserError("no MQTT broker is set; add [mqtt] host = \"homeassistant.local\" "
                            "(your broker's name or address) to the settings file")
        self.settings = settings
        self.topics = Topics.of(settings)
        self.ask = ask
        self.problems = Problems()
        self.follower = Follower()
        self._commands: queue.Queue[str] = queue.Queue(maxsize=MAX_COMMANDS)
        self._published: dict[str, str] = {}   # the bridge thread's own: what the broker has
        self._say_everything = threading.Event()
        self._wake = threading.Event()
        self._up = False  # connected and accepted (paho's network thread's own)
        self._forget = False  # on leaving, take this device out of Home Assistant
        self.client = self._client(password)

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _client(self, password: str) -> paho.Client:
        s = self.settings
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"pi-pause-{self.topics.node_id}",
                             protocol=paho.MQTTv5)
        if s.user or password:
            client.username_pw_set(s.user or None, password or None)
        if s.tls_ca:
            ca = Path(s.tls_ca).expanduser()
            try:
                ca.read_bytes()
                client.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
            except (OSError, ssl.SSLError) as exc:
                raise UserError(f"[mqtt] tls_ca = \"{s.tls_ca}\" cannot be used ({exc}); give the "
                                "path of your broker's CA certificate (PEM), or leave it empty "
                                "for no TLS") from None
        client.will_set(self.topics.availability, "offline", qos=1, retain=True)
        client.max_queued_messages_set(MAX_QUEUED)
        client.max_inflight_messages_set(20)
        client.reconnect_delay_set(*RECONNECT_SECONDS)
        client.on_connect = self._connected
        client.on_connect_fail = self._connect_failed
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        return client

    # -- paho's network thread ------------------------------------------------------

    def _connected(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            self.problems.report("broker", _refusal(self.where, reason))
            return
        self._up = True
        self.problems.solved("broker")
        log.info("connected to the MQTT broker at %s", self.where)
        client.subscribe([(self.topics.command, 1), (self.topics.home_assistant_status, 1)])
        client.publish(self.topics.availability, "online", qos=1, retain=True)
        for topic, payload in discovery(self.topics):
            client.publish(topic, payload, qos=1, retain=True)
        self._say_everything.set()
        self._wake.set()

    def _connect_failed(self, client, userdata) -> None:
        # paho says only that connecting failed: look again, to say why in words.
        self.problems.report("broker", reach_problem(self.settings)
                             or f"cannot connect to the MQTT broker at {self.where}; trying again")

    def _disconnected(self, client, userdata, flags, reason, properties) -> None:
        if not self._up:
            return  # a refused or failed attempt: already said why
        self._up = False
        if reason.is_failure:
            self.problems.report("broker", f"lost the MQTT broker at {self.where}; reconnecting")

    def _message(self, client, userdata, message) -> None:
        if len(message.payload) > MAX_PAYLOAD:
            self.problems.report("payload", f"ignored a message of {len(message.payload)} bytes on "
                                 f"{message.topic} (at most {MAX_PAYLOAD})")
            return
        text = message.payload.decode("utf-8", "replace").strip().lower()
        if message.topic == self.topics.home_assistant_status:
            if text == "online":  # Home Assistant restarted: tell it everything again
                for topic, payload in discovery(self.topics):
                    client.publish(topic, payload, qos=1, retain=True)
                self._say_everything.set()
                self._wake.set()
            return
        if message.topic != self.topics.command:
            return
        if text not in COMMANDS:
            self.problems.report("command", f"ignored a command on {self.topics.command} that is "
                                 f"not one of {', '.join(COMMANDS)}")
            return
        try:
            self._commands.put_nowait(text)
        except queue.Full:
            self.problems.report("flood", f"more than {MAX_COMMANDS} commands waiting; "
                                 "dropping the rest")
            return
        self._wake.set()

    # -- the bridge's thread ---------------------------------------------------------

    def wake(self) -> None:
        """Look now rather than at the next poll (e.g. because ``stopping`` was just set)."""
        self._wake.set()

    def run(self, stopping: threading.Event,
            changed: Callable[[], MqttSettings | None] = lambda: None) -> bool:
        """Connect (in the background) and follow the service until ``stopping`` is set, or
        until ``changed()`` (asked every :data:`WATCH_SECONDS`) gives new settings: then True,
        and when they move the topics, this device is first taken out of Home Assistant."""
        properties = Properties(PacketTypes.CONNECT)
        properties.MaximumPacketSize = MAX_PACKET
        log.info("Home Assistant bridge: broker %s, topics under %s/, discovery under %s/",
                 self.where, self.topics.base, self.topics.discovery)
        self.client.connect_async(self.settings.host, self.settings.port, KEEPALIVE_SECONDS,
                                  properties=properties)
        self.client.loop_start()
        watched = time.monotonic()
        again = False
        try:
            while not stopping.is_set():
                if time.monotonic() - watched >= WATCH_SECONDS:
                    watched = time.monotonic()
                    new = changed()
                    if new is not None:
                        self._forget = Topics.of(new) != self.topics
                        again = True
                        break
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
                try:
                    while not stopping.is_set():
                        try:
                            self._obey(self._commands.get_nowait())
                        except queue.Empty:
                            break
                    self._follow()
                except Exception as exc:  # whatever it was, the bridge carries on
                    self.problems.report("error", f"the bridge hit an error ({type(exc).__name__}: "
                                         f"{exc}); it carries on")
                    log.debug("details", exc_info=exc)
        finally:
            self._goodbye()
        return again

    def _obey(self, command: str) -> None:
        try:
            reply = self.ask(command)
        except UserError as exc:
            reply = {"ok": False, "error": str(exc)}
        self.problems.solved("flood", "commands are taken again")
        ok = bool(reply.get("ok"))
        # The same words as `pi-pause trigger` prints.
        message = reply.get("message") or reply.get("error") or ("ok" if ok else "refused")
        log.info("command from MQTT: %s: %s", command, message)
        self._send(self.topics.command_result,
                   json.dumps({"command": command, "ok": ok, "message": str(message)[:200]}))

    def _follow(self) -> None:
        try:
            status = self.ask("status")
            self.problems.solved("service", "the pi-pause service answers again")
        except UserError as exc:
            self.problems.report("service", f"{exc}; the bridge keeps trying")
            status = None
        values, events = self.follower.look(status)
        if self._say_everything.is_set() and self.client.is_connected():
            self._say_everything.clear()
            self._published.clear()
        for name, value in values.items():
            topic = getattr(self.topics, name)
            if self._published.get(topic) != value and self._send(topic, value, retain=True):
                self._published[topic] = value
        for event in events:
            log.info("event: %s", event.event_type)
            self._send(self.topics.event, json.dumps(event.payload()))

    def _send(self, topic: str, payload: str, retain: bool = False) -> bool:
        """Publish when connected; while the broker is away nothing waits to be sent."""
        if not self.client.is_connected():
            return False
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            self.problems.report("queue", f"the MQTT broker at {self.where} is slow to take "
                                 "messages; some are dropped")
            return False
        self.problems.solved("queue", f"the MQTT broker at {self.where} keeps up again")
        return True

    def _goodbye(self) -> None:
        """Say offline ourselves (the last will is only for an unclean end), then go."""
        if self.client.is_connected():
            last = self.client.publish(self.topics.availability, "offline", qos=1, retain=True)
            if self._forget:  # empty retained configs remove the entities: no stale twin
                for topic, _ in discovery(self.topics):
                    self.client.publish(topic, "", qos=1, retain=True)
                for topic in self._published:
                    self.client.publish(topic, "", qos=1, retain=True)
                last = self.client.publish(self.topics.availability, "", qos=1, retain=True)
            try:
                last.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        log.info("Home Assistant bridge stopped")


def reach_problem(settings: MqttSettings, timeout: float = 3.0) -> str:
    """Why the broker cannot be reached (in words, with what to check), or "" if it can:
    a TCP connection, and with ``tls_ca`` the TLS handshake. (`pi-pause doctor` asks too.)"""
    where = f"{settings.host}:{settings.port}"
    try:
        with socket.create_connection((settings.host, settings.port), timeout=timeout) as sock:
            if settings.tls_ca:
                context = ssl.create_default_context(cafile=settings.tls_ca)
                with context.wrap_socket(sock, server_hostname=settings.host):
                    pass
    except ssl.SSLError as exc:
        return (f"the MQTT broker at {where} failed the TLS check "
                f"({getattr(exc, 'verify_message', None) or exc.reason or exc}); "
                "check that [mqtt] tls_ca is the CA that signed the broker's certificate, "
                "that host is the name in it, and that the port speaks TLS")
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        return (f"cannot reach the MQTT broker at {where} ({why}); trying again "
                "(is it running? check [mqtt] host and port)")
    return ""


def _refusal(where: str, reason) -> str:
    """One line saying why the broker said no, and what to change."""
    if getattr(reason, "value", None) in (4, 5, 134, 135):  # bad user name or password; not authorised
        return (f"the MQTT broker at {where} refused the user name or password ({reason}); check "
                "[mqtt] user, and set the password with 'pi-pause mqtt password'")
    return f"the MQTT broker at {where} refused the connection ({reason}); see the broker's log"
