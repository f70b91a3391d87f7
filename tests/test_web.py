"""The settings page, through Flask's test client: every page, every change, every refusal."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pi_pause import config
from pi_pause.web.app import create_app
from pi_pause.web.guard import MAX_FAILURES, Passwords, host_allowed

HOST = "pi-pause.local:8080"
ORIGIN = f"http://{HOST}"
PASSWORD = "four unrelated words"


class FakeService:
    """The control socket's other end: records commands, answers as the service does."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.running = True

    def __call__(self, command: str) -> dict:
        if not self.running:
            raise ConnectionRefusedError("pi-pause is not running")
        self.commands.append(command)
        if command == "status":
            return {"ok": True, "state": "idle", "message": "idle, listening",
                    "microphone": "listening", "next_checkin": "2026-06-03T21:00+01:00"}
        if command == "reload":
            return {"ok": True, "message": "settings reloaded"}
        return {"ok": True, "message": f"{command} started"}


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# ours\n[checkin]\ntime = "21:00"\n')
    Passwords(tmp_path / "state").set(PASSWORD)
    service = FakeService()
    checks = []

    def phrase_check(text):
        checks.append(text)
        return True, [f"ok   pocketsphinx: every word can be heard ({text})"]

    app = create_app(path, tmp_path / "state", service, names={"pi-pause.local", "localhost"},
                     phrase_check=phrase_check)
    client = app.test_client()
    return type("Page", (), {"client": client, "service": service, "path": path, "checks": checks})


def get(client, path, **kwargs):
    """A page, asked for as a phone on the home network asks for it."""
    return client.get(path, base_url=ORIGIN, **kwargs)


def csrf(client) -> str:
    html = get(client, "/login" if not signed_in(client) else "/").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(client) -> bool:
    with client.session_transaction() as s:
        return bool(s.get("in"))


def post(client, url, data, origin=ORIGIN, token=None):
    data = dict(data, csrf=csrf(client) if token is None else token)
    return client.post(url, data=data, base_url=ORIGIN, headers={"Origin": origin} if origin else {})


def sign_in(client, password=PASSWORD):
    return post(client, "/login", {"password": password})


def test_every_page_needs_the_password_first(page):
    assert get(page.client, "/").headers["Location"].endswith("/login")
    assert sign_in(page.client, "wrong password").status_code == 401
    assert sign_in(page.client).status_code == 302
    html = get(page.client, "/").get_data(as_text=True)
    assert "idle, listening" in html and "Microphone: listening" in html
    assert "800-799-7233" in html and "not for abusive situations" in html
    cookie = page.client.get_cookie("pi-pause", domain="pi-pause.local")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_the_buttons_reach_the_service(page):
    sign_in(page.client)
    for what in ("pause", "checkin", "stop"):
        reply = post(page.client, "/action", {"what": what})
        assert reply.status_code == 302
    post(page.client, "/action", {"what": "sample"})
    assert [c for c in page.service.commands if c != "status"] == ["pause", "checkin", "stop", "sample"]
    assert "sample started" in get(page.client, "/").get_data(as_text=True)
    assert post(page.client, "/action", {"what": "reload"}).status_code == 400


def test_a_change_is_saved_with_its_comments_and_the_service_reloads(page):
    sign_in(page.client)
    post(page.client, "/settings", {"group": "checkin", "checkin.enabled": "on", "checkin.time": "21:30",
                                    "checkin.days": ["mon", "fri"]})
    settings = config.load(page.path)
    assert settings.checkin.time == "21:30" and settings.checkin.days == ("mon", "fri")
    assert page.path.read_text().startswith("# ours\n")
    assert "enabled" not in page.path.read_text()  # left at its default: not written
    assert page.service.commands[-1] == "reload"
    assert "Saved; settings reloaded." in get(page.client, "/").get_data(as_text=True)


def test_every_group_of_settings_can_be_changed(page):
    sign_in(page.client)
    post(page.client, "/settings", {"group": "phrase", "listen.phrases": "Time for a break\n\n"})
    post(page.client, "/settings", {"group": "pause", "pause.break_minutes": "30",
                                    "pause.breathing": "resonance", "pause.breathing_minutes": "3"})
    post(page.client, "/settings", {"group": "voice", "voice.length_scale": "1.3", "voice.volume": "0.6"})
    s = config.load(page.path)
    assert s.listen.phrases == ("time for a break",)
    assert (s.pause.break_minutes, s.pause.breathing) == (30, "resonance")
    assert (s.voice.length_scale, s.voice.volume) == (1.3, 0.6)


def test_saving_what_is_already_in_force_changes_nothing(page):
    sign_in(page.client)
    before = page.path.read_text()
    default = config.VoiceSettings()  # the defaults in force (pace: issue 12's 1.55)
    post(page.client, "/settings", {"group": "voice", "voice.length_scale": f"{default.length_scale:g}",
                                    "voice.volume": f"{default.volume:g}"})
    assert page.path.read_text() == before and "reload" not in page.service.commands
    assert "Nothing to change." in get(page.client, "/").get_data(as_text=True)


def test_the_voice_menu_offers_both_voices_each_with_a_sample_and_saves_the_choice(page):
    sign_in(page.client)
    html = get(page.client, "/").get_data(as_text=True)
    assert '<option value="joe" selected>Joe: a man&#39;s voice</option>' in html
    assert '<option value="heart" >Heart: a woman&#39;s voice</option>' in html
    for name in ("joe", "heart"):
        assert f'value="sample {name}"' in html
        post(page.client, "/action", {"what": f"sample {name}"})
    assert [c for c in page.service.commands if c != "status"] == ["sample joe", "sample heart"]
    before = page.path.read_text()
    voice = {"group": "voice", "voice.length_scale": "1.55", "voice.volume": "0.8"}
    post(page.client, "/settings", {**voice, "voice.model": "joe"})  # joe already speaks
    assert page.path.read_text() == before
    post(page.client, "/settings", {**voice, "voice.model": "heart"})
    assert config.load(page.path).voice.model == "heart" and page.service.commands[-1] == "reload"
    assert '<option value="heart" selected>' in get(page.client, "/").get_data(as_text=True)
    post(page.client, "/settings", {**voice, "voice.model": "emma"})
    assert '[voice] model = &#34;emma&#34; is not allowed' in get(page.client, "/").get_data(as_text=True)
    assert config.load(page.path).voice.model == "heart"


def test_a_bad_value_is_refused_in_one_line_and_the_file_is_untouched(page):
    sign_in(page.client)
    before = page.path.read_text()
    post(page.client, "/settings", {"group": "pause", "pause.break_minutes": "5", "pause.breathing": "box"})
    html = get(page.client, "/").get_data(as_text=True)
    assert "[pause] break_minutes = 5 is not allowed; use a whole number from 20 to 1440" in html
    post(page.client, "/settings", {"group": "pause", "pause.break_minutes": "soon", "pause.breathing": "box"})
    assert "break_minutes = &#34;soon&#34; is not allowed" in get(page.client, "/").get_data(as_text=True)
    assert page.path.read_text() == before
    assert "reload" not in page.service.commands


def test_the_phrase_check_shows_its_verdict(page):
    sign_in(page.client)
    post(page.client, "/phrase-check", {"phrase": "Let's  take a pause"})
    assert page.checks == ["let's take a pause"]
    assert "every word can be heard (let&#39;s take a pause)" in get(page.client, "/").get_data(as_text=True)


def test_a_stopped_service_is_shown_not_an_error_page(page):
    sign_in(page.client)
    page.service.running = False
    reply = get(page.client, "/")
    assert reply.status_code == 200 and "The service does not answer" in reply.get_data(as_text=True)


def test_changes_without_the_csrf_token_are_refused(page):
    sign_in(page.client)
    assert post(page.client, "/action", {"what": "pause"}, token="forged").status_code == 403
    assert post(page.client, "/settings", {"group": "voice", "voice.volume": "1"}, token="").status_code == 403
    assert [c for c in page.service.commands if c != "status"] == []


def test_a_foreign_origin_or_host_is_refused(page):
    sign_in(page.client)
    assert post(page.client, "/action", {"what": "pause"}, origin="http://evil.example").status_code == 403
    assert post(page.client, "/action", {"what": "pause"}, origin=None).status_code == 403
    assert get(page.client, "/", headers={"Host": "evil.example"}).status_code == 400
    by_address = get(page.client, "/", headers={"Host": "192.168.1.20:8080"})
    assert by_address.status_code == 302 and by_address.headers["Location"].endswith("/login")
    assert [c for c in page.service.commands if c not in ("status",)] == []


def test_hosts_are_the_pi_itself_or_local_addresses():
    names = {"pi-pause.local", "localhost"}
    for ok in ("pi-pause.local:8080", "localhost", "10.0.0.7", "[fe80::1]:8080", "127.0.0.1:8080"):
        assert host_allowed(ok, names), ok
    for refused in ("evil.example", "8.8.8.8", "pi-pause.local.evil.example", "", "[2001:db8::1"):
        assert not host_allowed(refused, names), refused


def test_an_oversized_body_is_refused(page):
    sign_in(page.client)
    reply = post(page.client, "/settings", {"group": "phrase", "listen.phrases": "pause " * 10_000})
    assert reply.status_code == 413


def test_paths_outside_the_page_are_not_served(page):
    sign_in(page.client)
    for path in ("/static/../app.py", "/static/%2e%2e/guard.py", "/static/../../config.py"):
        assert get(page.client, path).status_code == 404, path
    assert get(page.client, "/static/style.css").status_code == 200


def test_wrong_passwords_are_limited(page):
    for _ in range(MAX_FAILURES):
        assert sign_in(page.client, "guess").status_code == 401
    assert sign_in(page.client).status_code == 429  # even the right one, for a while


def test_the_password_is_stored_salted_never_in_the_settings(tmp_path):
    a, b = Passwords(tmp_path / "a"), Passwords(tmp_path / "b")
    a.set(PASSWORD)
    b.set(PASSWORD)
    assert a.path.read_text() != b.path.read_text() and PASSWORD not in a.path.read_text()
    assert a.check(PASSWORD) and not a.check("four unrelated word")
    assert a.path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(Exception, match="at least 8"):
        a.set("short")


TRIPWIRE = r'''
import sys
from pathlib import Path

TRIPPED = []
FORBIDDEN_IMPORTS = ("sounddevice", "gpiozero", "piper", "lgpio", "pi_pause.ear", "pi_pause.voice")


def tripwire(event, args):
    if event == "import" and args[0].startswith(FORBIDDEN_IMPORTS):
        TRIPPED.append(f"import {args[0]}")
    if event == "open" and isinstance(args[0], (str, bytes)):
        name = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if name.startswith(("/dev/snd", "/dev/gpio", "/dev/mem")):
            TRIPPED.append(f"open {name}")


sys.addaudithook(tripwire)
sys.path.insert(0, sys.argv[1])
from tests.test_web import exercise_every_page  # noqa: E402

exercise_every_page(Path(sys.argv[2]))
print("\n".join(TRIPPED) or "clean")
'''


def exercise_every_page(tmp_path):
    """Every page and every change, as a couple would use them (run by the tripwire)."""
    from pi_pause.commands.web import create_app as app_of_the_command

    (tmp_path / "config.toml").write_text("")
    Passwords(tmp_path / "state").set(PASSWORD)
    client = app_of_the_command(tmp_path / "config.toml", tmp_path / "state", FakeService(),
                                names={"pi-pause.local"}).test_client()
    assert sign_in(client).status_code == 302
    for what in ("pause", "checkin", "stop"):
        post(client, "/action", {"what": what})
    post(client, "/settings", {"group": "voice", "voice.length_scale": "1.2", "voice.volume": "0.5"})
    post(client, "/settings", {"group": "checkin", "checkin.time": "20:00", "checkin.days": ["sun"]})
    post(client, "/phrase-check", {"phrase": "let's take a pause"})
    assert "every word can be heard" in get(client, "/").get_data(as_text=True)


def test_the_settings_page_never_touches_a_sound_device_or_gpio(tmp_path):
    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", TRIPWIRE, str(ROOT), str(tmp_path)],
                          capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "clean", done.stdout


def test_the_tripwire_trips_on_a_microphone():
    leak = TRIPWIRE.replace("from tests.test_web import exercise_every_page  # noqa: E402\n\n"
                            "exercise_every_page(Path(sys.argv[2]))", "import sounddevice  # noqa")
    done = subprocess.run([sys.executable, "-c", leak, ".", "."], capture_output=True, text=True,
                          timeout=60)
    assert "import sounddevice" in done.stdout
