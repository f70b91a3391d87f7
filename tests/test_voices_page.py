"""The settings page's "Teach it your voices": the couple record takes from a phone.

First through Flask's test client against a stand-in of the control socket's other
end (every step and its words); then in headless Chromium at a phone's width, against
the real service in simulation with a person at its microphone who speaks when the
LED lights, and the real Whisper verifier judging the take.
"""

from __future__ import annotations

import dataclasses
import io
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from selenium.webdriver.common.by import By

from pi_pause import config
from pi_pause.ear import enrollment
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from pi_pause.wallclock import ManualClock
from pi_pause.web.app import create_app
from pi_pause.web.guard import Passwords
from tests.standins import MockLight, ScriptedSessions, eventually, stand_in_parts
from tests.test_enrolling_service import PersonAtTheMicrophone, good
from tests.test_listener import CountingSpotter
from tests.test_web import PASSWORD, get, post, sign_in
from tests.test_web_browser import browser, settings_page  # noqa: F401 (a fixture)


class TeachingService:
    """The service's answers to the enrollment commands, as pi_pause.service.enrolling gives them."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.takes = 0

    def __call__(self, command: str) -> dict:
        self.commands.append(command)
        if command == "status":
            return {"ok": True, "state": "idle", "message": "idle, listening", "microphone": "listening"}
        if command == "enrolled":
            return {"ok": True, "people": [{"name": "Sam", "takes": 5, "used": True, "why_not": ""}],
                    "pending": {"Alex": self.takes} if self.takes else {}, "needed": 5}
        if command == "enroll-take Alex":
            self.takes += 1
            return {"ok": True, "good_take": True, "plain": "Got it: that was a good take.",
                    "takes": self.takes, "needed": 5}
        if command == "enroll-take Kim":
            return {"ok": True, "good_take": False, "takes": 0, "needed": 5,
                    "plain": "That was too quiet: say it again a little closer."}
        return {"ok": False, "error": "refused", "plain": "A few more takes first: at least 3."}


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# ours\n")
    Passwords(tmp_path / "state").set(PASSWORD)
    service, forgotten = TeachingService(), []

    def forget(name):
        forgotten.append(name)
        return {"ok": True, "plain": f"Forgotten: it no longer keeps anything of {name}'s voice."}

    app = create_app(path, tmp_path / "state", service, names={"pi-pause.local"}, forget=forget)
    client = app.test_client()
    sign_in(client)
    return type("Page", (), {"client": client, "service": service, "forgotten": forgotten})


def section(client) -> str:
    html = get(client, "/").get_data(as_text=True)
    return html[html.index('id="voices"'):html.index('id="checkin"')]


def test_the_page_shows_who_is_enrolled_and_records_takes_with_the_verdict_in_plain_words(page):
    shown = section(page.client)
    assert "Teach it your voices" in shown and "<strong>Sam</strong>: 5 takes" in shown
    assert "never a recording" in shown and "partner" not in shown.lower()
    post(page.client, "/voices", {"what": "take", "name": "  Alex "})
    shown = section(page.client)
    assert "Got it: that was a good take. (1 of 5 good takes.)" in shown
    assert "<strong>Alex</strong>: 1 of 5 good takes so far" in shown
    assert 'value="Alex"' in shown  # the name stays for the next take
    post(page.client, "/voices", {"what": "take", "name": "Kim"})
    assert 'class="note error"' in section(page.client)  # a refused take is shown as one
    post(page.client, "/voices", {"what": "finish", "name": "Alex"})
    assert "A few more takes first: at least 3." in section(page.client)
    post(page.client, "/voices", {"what": "forget", "name": "Sam"})
    assert page.forgotten == ["Sam"] and "no longer keeps anything of Sam" in section(page.client)
    assert [c for c in page.service.commands if c not in ("status", "enrolled")] == [
        "enroll-take Alex", "enroll-take Kim", "enroll-finish Alex"]


def test_a_step_needs_a_name_and_a_known_action(page):
    post(page.client, "/voices", {"what": "take", "name": "   "})
    assert "Type the name of the person first." in section(page.client)
    assert post(page.client, "/voices", {"what": "pause", "name": "Sam"}).status_code == 400
    assert [c for c in page.service.commands if c not in ("status", "enrolled")] == []


@pytest.fixture
def teaching(tmp_path):
    """The service in simulation, someone at its microphone, and ``pi-pause web``."""
    path = tmp_path / "config.toml"
    path.write_text(f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                    f'socket = "{tmp_path / "control.sock"}"\n')
    settings = config.load(path)
    enrollment.save(settings, "Sam", {"templates": np.zeros((2, 768), np.float16)}, takes=5,
                    phrase=settings.listen.phrases[0])
    sessions = ScriptedSessions()
    person = PersonAtTheMicrophone([good(1.0)], sessions)

    def make_light(pin, factory):
        person.light = MockLight(factory, pin)
        return person.light

    parts = dataclasses.replace(stand_in_parts(spotter=CountingSpotter(), mic=person,
                                               sessions=sessions), make_light=make_light)
    service = Service(settings, Options(simulate=True, config=path), parts=parts,
                      clock=ManualClock(datetime(2026, 6, 3, 18, 0, tzinfo=ZoneInfo("Europe/London"))),
                      notifier=Notifier(""), out=io.StringIO(), keyboard=io.StringIO()).start()
    with settings_page(path) as url:
        yield type("Teaching", (), {"url": url, "service": service, "person": person,
                                     "folder": tmp_path / "enrolled"})
    service.stop()


def text_of(browser, element_id: str) -> str:  # noqa: F811
    """The element's text now, or "" while the next page is still on its way."""
    from selenium.common.exceptions import WebDriverException

    try:
        return browser.find_element(By.ID, element_id).text
    except WebDriverException:
        return ""


def test_on_a_phone_a_take_is_recorded_by_the_pi_and_a_voice_forgotten(browser, teaching):  # noqa: F811
    browser.set_window_size(420, 900)
    browser.get(teaching.url)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    eventually(lambda: teaching.service.listener.available.is_set(), timeout=5)
    voices = browser.find_element(By.ID, "voices")
    assert "Sam: 5 takes" in voices.text
    browser.find_element(By.ID, "voice-name").send_keys("Alex")
    record = browser.find_element(By.CSS_SELECTOR, "#voices-form button[value=take]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", record)
    browser.execute_script(  # what the waiting note says while the Pi listens, kept across the next page
        "document.getElementById('voices-form').addEventListener('submit', function () {"
        " sessionStorage.setItem('waiting', document.getElementById('voices-waiting').textContent); })")
    record.click()
    verdict = browser.find_element(By.ID, "voices-verdict")
    assert verdict.text == "Got it: that was a good take. (1 of 5 good takes.)"
    assert teaching.person.spoken == 1  # the Pi asked, lit its LED, and heard them
    assert browser.execute_script("return sessionStorage.getItem('waiting')") == \
        "Listen for the Pi: say your phrase after its tone."
    assert "Alex: 1 of 5 good takes so far" in browser.find_element(By.ID, "voices").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= \
        browser.execute_script("return window.innerWidth")
    if os.environ.get("PI_PAUSE_SCREENSHOTS"):  # for a person to look at
        browser.save_screenshot(os.path.join(os.environ["PI_PAUSE_SCREENSHOTS"], "voices.png"))

    browser.find_element(By.CSS_SELECTOR, "#voices-known button[value=forget]").click()
    eventually(lambda: "no longer keeps anything of Sam" in text_of(browser, "voices-verdict"), timeout=30)
    assert not any(teaching.folder.iterdir())
    assert "No voices yet." in browser.find_element(By.ID, "voices").text
