"""The settings page in a real browser, against a running simulated service.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) signs in to
``pi-pause web``, moves the nightly check-in, and the service, running all the
while, takes the new time up without a restart; then it asks whether a typed
phrase will be heard, and the answer appears beside the field.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By

from pi_pause import config
from pi_pause.service.control_socket import request
from pi_pause.service.systemd_notify import Notifier
from pi_pause.service.wiring import Options, Service
from pi_pause.wallclock import ManualClock
from tests.conftest import ROOT
from tests.standins import ScriptedSessions, eventually, stand_in_parts
from tests.test_listener import CountingSpotter, ScriptedMic

PASSWORD = "four unrelated words"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def settings_page(path: Path):
    """``pi-pause web`` for the settings file ``path``, with PASSWORD set; yields its address."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "pi_pause", "--config", str(path), "web", "password"],
                   input=PASSWORD + "\n", text=True, check=True, env=env, timeout=60)
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "pi_pause", "--config", str(path), "web",
                            "--listen", f"127.0.0.1:{port}"], env=env)
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and web.poll() is None, "pi-pause web did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        web.terminate()
        web.wait(timeout=10)


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    assert chromium and driver, "bootstrap.sh test installs chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=420,900"):
        options.add_argument(flag)
    b = webdriver.Chrome(service=DriverService(executable_path=driver), options=options)
    b.implicitly_wait(10)  # after a click, wait for the next page's elements to appear
    yield b
    b.quit()


@pytest.fixture
def running(tmp_path):
    """A simulated service and the settings page, both reading tmp_path/config.toml."""
    path = tmp_path / "config.toml"
    path.write_text(f'# our settings\n[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                    f'socket = "{tmp_path / "control.sock"}"\n[checkin]\ntime = "21:00"\n')
    clock = ManualClock(datetime(2026, 6, 3, 20, 50, tzinfo=ZoneInfo("Europe/London")))
    parts = stand_in_parts(spotter=CountingSpotter(), mic=ScriptedMic(), sessions=ScriptedSessions())
    service = Service(config.load(path), Options(simulate=True, config=path), parts=parts, clock=clock,
                      notifier=Notifier(""), out=io.StringIO(), keyboard=io.StringIO("")).start()
    with settings_page(path) as url:
        yield type("Running", (), {"url": url, "path": path, "service": service,
                                    "socket": tmp_path / "control.sock"})
    service.stop()


def test_a_couple_signs_in_moves_the_checkin_and_checks_a_phrase_beside_its_field(browser, running):
    assert request(running.socket, "status")["next_checkin"] == "2026-06-03T21:00+01:00"
    browser.get(running.url)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # This machine has no microphone, and the page says so rather than "listening".
    assert "idle; microphone unavailable, retrying" in browser.find_element(By.ID, "status").text

    time_field = browser.find_element(By.ID, "checkin.time")
    browser.execute_script("arguments[0].value = '21:45'", time_field)  # as the time picker would
    browser.find_element(By.CSS_SELECTOR, "#checkin button[type=submit]").click()

    assert "Saved; settings reloaded." in browser.find_element(By.CSS_SELECTOR, ".note.ok").text
    assert request(running.socket, "status")["next_checkin"] == "2026-06-03T21:45+01:00"
    assert config.load(running.path).checkin.time == "21:45"
    assert running.path.read_text().startswith("# our settings\n")
    eventually(lambda: "9:45 PM" in browser.find_element(By.ID, "status").text or browser.refresh())

    # "Will it hear this?" asks about what is typed, and answers beside the field, in plain
    # words, without leaving the page (or jumping back to its top).
    field = browser.find_element(By.ID, "listen.phrases")
    field.clear()
    field.send_keys("xyzzy plugh")
    check = browser.find_element(By.ID, "phrase-check")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); window.stayed = true", check)
    scrolled = browser.execute_script("return window.scrollY")
    check.click()
    verdict = browser.find_element(By.ID, "phrase-verdict")
    eventually(lambda: verdict.text not in ("", "Checking…"), timeout=60)
    assert verdict.text == "It cannot hear 'xyzzy': pick everyday words."
    assert browser.execute_script("return window.stayed === true && window.scrollY") == scrolled
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", verdict)
    assert config.load(running.path).listen.phrases == ("let's take a pause",)  # a check saves nothing


def test_on_a_412_px_phone_the_page_fits_and_speaks_plainly(browser, running, tmp_path):
    """A phone's width: nothing runs off the side; the check-in is a day and a time,
    the breathing patterns are explained, the pace is a word, the volume shows its value,
    and during a break the main button ends it."""
    browser.set_window_size(412, 915)
    browser.get(running.url)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    status = browser.find_element(By.ID, "status").text
    assert "Next check-in: " in status and " at 9:00 PM" in status and "2026-" not in status
    width = browser.execute_script("return window.innerWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    pace = browser.find_element(By.ID, "voice.length_scale")
    assert [o.text for o in pace.find_elements(By.TAG_NAME, "option")] == ["slower", "ordinary", "faster"]
    assert "a long, slow breath out" in browser.find_element(By.ID, "pause").text
    shown = browser.find_element(By.ID, "volume-value")
    assert shown.text == "80%"
    browser.execute_script("const s = arguments[0]; s.value = 0.35; "
                           "s.dispatchEvent(new Event('input'))", browser.find_element(By.ID, "voice.volume"))
    assert shown.text == "35%"
    browser.set_window_size(412, 2800)  # the whole page in one picture
    browser.save_screenshot(str(tmp_path / "idle.png"))
    browser.set_window_size(412, 915)

    request(running.socket, "pause")
    browser.refresh()
    main = browser.find_element(By.CSS_SELECTOR, "#status button")
    assert main.text == "End the break"
    assert "minutes left" in browser.find_element(By.ID, "time-left").text
    browser.save_screenshot(str(tmp_path / "break.png"))
    if os.environ.get("PI_PAUSE_SCREENSHOTS"):  # for a person to look at
        for name in ("idle.png", "break.png"):
            shutil.copy(tmp_path / name, Path(os.environ["PI_PAUSE_SCREENSHOTS"]) / name)
    main.click()
    assert "stopped" in browser.find_element(By.CSS_SELECTOR, ".note.ok").text
