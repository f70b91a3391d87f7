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
        if not self.running:  # the real client's error, advice for a terminal and all
            from pathlib import Path

            from pi_pause.service.control_socket import request
            request(Path("/nonexistent/pi-pause/control.sock"), command)
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

    def phrase_check(phrases):
        checks.append(phrases)
        return {"ok": True, "phrases": list(phrases), "plain": "It will hear this.", "plain_warnings": []}

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
    assert [c for c in page.service.commands if c not in ("status", "enrolled")] == ["pause", "checkin", "stop", "sample"]
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
    assert [c for c in page.service.commands if c not in ("status", "enrolled")] == ["sample joe", "sample heart"]
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
    post(page.client, "/phrase-check", {"listen.phrases": "Let's  take a Pause!"})
    assert page.checks == [("let's take a pause",)]
    assert "It will hear this." in get(page.client, "/").get_data(as_text=True)


@pytest.fixture
def real_page(tmp_path):
    """The page with the real phrase check (the ear's, in a process of its own)."""
    path = tmp_path / "config.toml"
    path.write_text(f'# ours\n[listen]\nvosk_model = "{tmp_path / "no-vosk"}"\n')
    Passwords(tmp_path / "state").set(PASSWORD)
    service = FakeService()
    client = create_app(path, tmp_path / "state", service, names={"pi-pause.local"}).test_client()
    sign_in(client)
    return type("Page", (), {"client": client, "service": service, "path": path})


def verdict_beside_the_field(html: str) -> str:
    field = re.search(r'<textarea id="listen.phrases"[^>]*>([^<]*)</textarea>\s*'
                      r'<p id="phrase-verdict" class="note (\w+)"[^>]*>([^<]*)</p>', html)
    assert field, "the verdict is not beside the phrase field"
    return field.groups()


def test_the_check_hears_what_is_typed_and_answers_beside_the_field_in_plain_words(real_page):
    before = real_page.path.read_text()
    answer = real_page.client.post("/phrase-check", base_url=ORIGIN, headers={
        "Origin": ORIGIN, "Accept": "application/json"}, data={
        "csrf": csrf(real_page.client), "listen.phrases": "xyzzy plugh"})
    assert answer.get_json() == {"ok": False, "plain": "It cannot hear 'xyzzy': pick everyday words.",
                                 "plain_warnings": [], "phrases": ["xyzzy plugh"]}
    # Without the page's script: the page again, at the field, with what was typed still in it.
    reply = post(real_page.client, "/phrase-check", {"listen.phrases": "xyzzy plugh"})
    assert reply.headers["Location"].endswith("/#phrase")
    html = get(real_page.client, "/").get_data(as_text=True)
    assert verdict_beside_the_field(html) == ("xyzzy plugh", "error",
                                              "It cannot hear &#39;xyzzy&#39;: pick everyday words.")
    for jargon in ("pocketsphinx", "two-stage", "whisper", ".npz", "embedding"):
        assert jargon not in html.lower()
    assert real_page.path.read_text() == before  # a check saves nothing
    assert '<script src="/static/phrase.js" defer></script>' in html
    assert get(real_page.client, "/static/phrase.js").status_code == 200


def test_a_phrase_the_ear_cannot_hear_is_never_saved(real_page):
    before = real_page.path.read_text()
    for typed, said in (("xyzzy plugh", "It cannot hear &#39;xyzzy&#39;: pick everyday words."),
                        ("you & me", "It cannot hear &#39;&amp;&#39;: write it as &#39;and&#39;.")):
        post(real_page.client, "/settings", {"group": "phrase", "listen.phrases": typed})
        html = get(real_page.client, "/").get_data(as_text=True)
        assert verdict_beside_the_field(html)[1:] == ("error", said)
    assert real_page.path.read_text() == before and "reload" not in real_page.service.commands
    # Typed the way people type it, saved the way the ear hears it.
    post(real_page.client, "/settings", {"group": "phrase", "listen.phrases": "Time For A Break!"})
    assert config.load(real_page.path).listen.phrases == ("time for a break",)
    assert real_page.service.commands[-1] == "reload"
    assert verdict_beside_the_field(get(real_page.client, "/").get_data(as_text=True))[1:] == (
        "ok", "Saved. It will hear this.")


def test_a_stopped_service_is_shown_in_words_for_a_phone_not_a_command(page):
    sign_in(page.client)
    page.service.running = False
    reply = get(page.client, "/")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "pi-pause is not running right now" in html
    assert "Ask whoever set it up to start it again" in html and "Troubleshooting" in html
    post(page.client, "/settings", {"group": "checkin", "checkin.enabled": "on",
                                    "checkin.time": "21:30", "checkin.days": ["mon"]})
    html = get(page.client, "/").get_data(as_text=True)
    assert "Saved. pi-pause is not running now" in html
    post(page.client, "/action", {"what": "pause"})
    html += get(page.client, "/").get_data(as_text=True)
    assert html.count("pi-pause is not running right now") >= 3  # the status, and the button's answer
    assert "systemctl start" not in html and "pi-pause run" not in html


class ServiceAt(FakeService):
    """The service in a given state, as its status says."""

    def __init__(self, **status):
        super().__init__()
        self.status = status

    def __call__(self, command):
        if command == "status":
            return {"ok": True, "microphone": "listening", **self.status}
        return super().__call__(command)


def page_at(tmp_path, service, now):
    path = tmp_path / "config.toml"
    path.write_text('[voice]\nvolume = 0.6\n')
    Passwords(tmp_path / "state").set(PASSWORD)
    app = create_app(path, tmp_path / "state", service, names={"pi-pause.local"},
                     phrase_check=lambda text: (True, []), now=lambda: now)
    client = app.test_client()
    sign_in(client)
    return client


LONDON_9PM = "2026-12-06T20:10+00:00"


def test_the_next_check_in_is_said_as_people_say_it(tmp_path):
    from datetime import datetime, timezone

    now = datetime(2026, 12, 6, 20, 10, tzinfo=timezone.utc)  # a Sunday evening
    for iso, said in (("2026-12-06T21:00+00:00", "today at 9:00 PM"),
                      ("2026-12-07T21:00+00:00", "tomorrow at 9:00 PM"),
                      ("2026-12-10T07:05+00:00", "on Thursday at 7:05 AM"),
                      ("2026-12-21T00:30+00:00", "on Monday 21 December at 12:30 AM")):
        client = page_at(tmp_path, ServiceAt(state="idle", message="idle, listening",
                                             next_checkin=iso), now)
        html = get(client, "/").get_data(as_text=True)
        assert f"Next check-in: {said}" in html
        assert "2026-" not in html


def test_during_a_break_the_main_button_ends_it_and_says_the_time_left(tmp_path):
    from datetime import datetime, timezone

    now = datetime(2026, 12, 6, 21, 28, tzinfo=timezone.utc)
    service = ServiceAt(state="on_break", message="on a break until 21:40",
                        return_time="2026-12-06T21:40+00:00", seconds_left=719)
    client = page_at(tmp_path, service, now)
    html = get(client, "/").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" name="what" value="(\w+)" class="([^"]*)">([^<]*)<', html)
    assert buttons[0] == ("stop", "", "End the break")
    assert "Start a pause" not in html
    assert "Back together today at 9:40 PM: about 12 minutes left." in html
    post(client, "/action", {"what": "stop"})
    assert service.commands[-1] == "stop"


def test_breathing_pace_and_volume_are_offered_in_plain_words(tmp_path):
    from datetime import datetime, timezone

    now = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)
    client = page_at(tmp_path, ServiceAt(state="idle", message="idle, listening"), now)
    html = get(client, "/").get_data(as_text=True)
    for name in config.choices(config.PauseSettings, "breathing"):
        assert f'value="{name}"' in html
    assert "a long, slow breath out" in html and "six breaths a minute" in html and "square" in html
    assert re.findall(r'<option value="([\d.]+)"[^>]*>(\w+)</option>', html)[-3:] == [
        ("1.8", "slower"), ("1.55", "ordinary"), ("1.3", "faster")]
    assert '<output id="volume-value" for="voice.volume">60%</output>' in html
    post(client, "/settings", {"group": "voice", "voice.length_scale": "1.8", "voice.volume": "0.6"})
    assert config.load(tmp_path / "config.toml").voice.length_scale == 1.8
    html = get(client, "/").get_data(as_text=True)
    assert '<option value="1.8" selected>slower</option>' in html


def test_changes_without_the_csrf_token_are_refused(page):
    sign_in(page.client)
    assert post(page.client, "/action", {"what": "pause"}, token="forged").status_code == 403
    assert post(page.client, "/settings", {"group": "voice", "voice.volume": "1"}, token="").status_code == 403
    assert [c for c in page.service.commands if c not in ("status", "enrolled")] == []


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
FORBIDDEN_IMPORTS = ("sounddevice", "gpiozero", "piper", "lgpio", "pi_pause.ear", "pi_pause.voice",
                     "pi_pause.service.controller", "pi_pause.service.wiring", "pi_pause.service.parts")


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
    post(client, "/phrase-check", {"listen.phrases": "let's take a pause"})
    assert "It will hear this." in get(client, "/").get_data(as_text=True)


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


def test_web_binds_before_it_prints_the_address_and_a_taken_port_is_one_line(cli, tmp_path):
    import socket

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n')
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = cli("--config", str(cfg), "web", "--listen", f"127.0.0.1:{port}", timeout=60)
    finally:
        taken.close()
    assert result.returncode == 2
    assert "settings page on" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{port} (" in result.stderr
    assert "--listen HOST:PORT" in result.stderr
