"""Where the bridge publishes, and how Home Assistant learns of it (MQTT discovery).

Every topic hangs under ``[mqtt] topic_prefix`` (``pi-pause`` by default)::

    pi-pause/availability   online | offline     retained; the bridge's last will says offline
    pi-pause/service        online | offline     retained; does the listening service answer?
    pi-pause/state          idle | pausing | on_break | returning | checking_in | sampling | enrolling
    pi-pause/on_break       ON | OFF             retained; ON while pausing and on the break
    pi-pause/return_time    2026-06-03T21:40+01:00, or None when no break runs (retained)
    pi-pause/next_checkin   2026-06-03T21:00+01:00, or None when none is planned (retained)
    pi-pause/microphone     listening | unavailable                       (retained)
    pi-pause/speaker        ready | unavailable | none (simulation) | ... (retained)
    pi-pause/ear            the engine that listens, or "deaf: ..."      (retained)
    pi-pause/event          {"event_type": "pause_started", "how": "button"}   not retained
    pi-pause/command        <- pause | checkin | stop  (what the bridge accepts)
    pi-pause/command/result {"command": "pause", "ok": false, "message": "..."}

Discovery configs go to ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``,
retained, all for one device: three buttons, a state sensor, an "on a break" binary
sensor, the return time, the next check-in, three health sensors and an event entity.
Nothing here carries a word that was said: only states, times, and how a pause began
(phrase, button or remote), never who began it or what was heard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pi_pause import __version__
from pi_pause.config import MqttSettings

# The service's states (pi_pause.service.controller.State; a test keeps them in step).
STATES = ("idle", "pausing", "on_break", "returning", "checking_in", "sampling", "enrolling")
APART = ("pausing", "on_break")  # "on a break": from the first breath to the return cue
COMMANDS = ("pause", "checkin", "stop")
EVENT_TYPES = ("pause_started", "break_ended", "checkin_started", "checkin_ended")
HOW = ("phrase", "button", "remote", "unknown")
HEALTH = ("microphone", "speaker", "ear")
NONE = "None"  # Home Assistant's payload for "no value" (a timestamp sensor shows unknown)


@dataclass(frozen=True)
class Topics:
    """The bridge's topics, from the settings."""

    base: str
    discovery: str
    node_id: str
    device_name: str

    @classmethod
    def of(cls, settings: MqttSettings) -> Topics:
        return cls(settings.topic_prefix, settings.discovery_prefix,
                   settings.topic_prefix.replace("/", "_"), settings.device_name)

    def __getattr__(self, name: str) -> str:
        # pi-pause/state, pi-pause/on_break, ... : one attribute per topic in the list above
        if name in ("availability", "service", "state", "on_break", "return_time",
                    "next_checkin", "event", "command", *HEALTH):
            return f"{self.base}/{name}"
        raise AttributeError(name)

    @property
    def command_result(self) -> str:
        return f"{self.base}/command/result"

    @property
    def home_assistant_status(self) -> str:
        """Home Assistant says ``online`` here when it (re)starts: time to say everything again."""
        return f"{self.discovery}/status"


def discovery(topics: Topics) -> list[tuple[str, str]]:
    """(config topic, JSON payload) for every entity, in the schema Home Assistant documents."""
    device = {"identifiers": [topics.node_id], "name": topics.device_name,
              "manufacturer": "pi-pause", "model": "pause companion", "sw_version": __version__}
    common = {"device": device, "origin": {"name": "pi-pause", "sw_version": __version__},
              "availability": [{"topic": topics.availability}, {"topic": topics.service}],
              "availability_mode": "all"}

    def entity(component: str, object_id: str, name: str, **fields) -> tuple[str, str]:
        payload = {"name": name, "unique_id": f"{topics.node_id}_{object_id}", **common, **fields}
        return (f"{topics.discovery}/{component}/{topics.node_id}/{object_id}/config",
                json.dumps(payload, separators=(",", ":")))

    def button(command: str, name: str, icon: str) -> tuple[str, str]:
        return entity("button", command, name, command_topic=topics.command, payload_press=command,
                      icon=icon)

    def health(key: str, name: str, icon: str) -> tuple[str, str]:
        return entity("sensor", key, name, state_topic=getattr(topics, key),
                      entity_category="diagnostic", icon=icon)

    return [
        button("pause", "Start a pause", "mdi:meditation"),
        button("checkin", "Offer the check-in", "mdi:account-heart"),
        button("stop", "Stop", "mdi:stop-circle-outline"),
        entity("sensor", "state", "State", state_topic=topics.state, device_class="enum",
               options=list(STATES), icon="mdi:heart-pulse"),
        entity("binary_sensor", "on_break", "On a break", state_topic=topics.on_break,
               payload_on="ON", payload_off="OFF", icon="mdi:pause-circle-outline"),
        entity("sensor", "return_time", "Back together at", state_topic=topics.return_time,
               device_class="timestamp"),
        entity("sensor", "next_checkin", "Next check-in", state_topic=topics.next_checkin,
               device_class="timestamp"),
        health("microphone", "Microphone", "mdi:microphone"),
        health("speaker", "Speaker", "mdi:speaker"),
        health("ear", "Ear", "mdi:ear-hearing"),
        entity("event", "events", "Events", state_topic=topics.event,
               event_types=list(EVENT_TYPES), icon="mdi:bell-ring-outline"),
    ]
