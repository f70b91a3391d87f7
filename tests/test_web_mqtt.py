"""The settings page's Home Assistant section: the [mqtt] settings, edited like the others."""

from __future__ import annotations

from pi_pause import config
from tests.test_web import get, page, post, sign_in  # noqa: F401 (page is a fixture)

FORM = {"group": "mqtt", "mqtt.host": "homeassistant.local", "mqtt.port": "8883",
        "mqtt.user": "pi-pause", "mqtt.tls_ca": "/etc/pi-pause/broker-ca.pem",
        "mqtt.device_name": "Our pause", "mqtt.topic_prefix": "pi-pause",
        "mqtt.discovery_prefix": "homeassistant"}


def test_the_home_assistant_settings_are_shown_and_saved(page):  # noqa: F811
    sign_in(page.client)
    html = get(page.client, "/").get_data(as_text=True)
    assert 'id="home-assistant"' in html and 'name="mqtt.discovery_prefix" type="text" value="homeassistant"' in html
    post(page.client, "/settings", FORM)
    s = config.load(page.path).mqtt
    assert (s.host, s.port, s.user, s.tls_ca, s.device_name) == (
        "homeassistant.local", 8883, "pi-pause", "/etc/pi-pause/broker-ca.pem", "Our pause")
    text = page.path.read_text()
    assert "[mqtt]" in text and "topic_prefix" not in text  # defaults stay out of the file
    assert 'value="homeassistant.local"' in get(page.client, "/").get_data(as_text=True)


def test_a_bad_broker_setting_is_refused_in_one_line(page):  # noqa: F811
    sign_in(page.client)
    before = page.path.read_text()
    post(page.client, "/settings", dict(FORM, **{"mqtt.topic_prefix": "pi-pause/#"}))
    html = get(page.client, "/").get_data(as_text=True)
    assert ("[mqtt] topic_prefix = &#34;pi-pause/#&#34; is not allowed; use letters, digits, - and _, "
            "in parts joined by / (no +, #, spaces or outer /)") in html
    post(page.client, "/settings", dict(FORM, **{"mqtt.port": "lots"}))
    assert "[mqtt] port = &#34;lots&#34; is not allowed" in get(page.client, "/").get_data(as_text=True)
    assert page.path.read_text() == before
