"""The settings page: what a couple may change without a terminal, on a phone.

A small Flask app, served by waitress (``pi-pause web``). It has no microphone, no
GPIO and no sound: it asks the running service over its control socket (status,
start a pause, offer the check-in, stop, reload the settings) and changes the
settings file only through :class:`~pi_pause.settings_file.SettingsFile`, the
same validation ``pi-pause config`` uses. Nothing heard is ever shown or stored.

Routes::

    GET  /          status, actions, settings, safety        POST /action     pause | checkin | stop
    GET  /login     the password                             POST /settings   one group of settings
    POST /logout                                             POST /phrase-check  will it hear what is typed?
                                                             POST /voices     teach it your voices: take,
                                                                              finish, cancel, forget

"Will it hear this?" asks the ear itself, in a process of its own (``pi-pause phrase
check --json``: :func:`run_phrase_check`), the same code the service listens with;
a phrase is saved only when that says yes.

"Teach it your voices" asks the service for each take (it owns the microphone:
``enroll-take NAME``, ``enroll-finish NAME``, ``enroll-cancel``, ``enrolled``) and
forgets a voice with ``pi-pause phrase forget`` in a process of its own
(:func:`run_forget`), which works whether or not the service runs. ``/phrase-check`` answers JSON to the
page's small script (``static/phrase.js``: the verdict appears beside the field)
and, without JavaScript, shows the page again at the field.

Every POST carries the session's CSRF token and an Origin naming the Pi (see
:mod:`pi_pause.web.guard`).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import secrets
import subprocess
import sys
import typing
from datetime import datetime
from pathlib import Path
from typing import Callable

from flask import Flask, abort, flash, jsonify, redirect, render_template, request, session, url_for

from pi_pause import config, phrase_text
from pi_pause.settings_file import SettingsFile
from pi_pause.web import page_words
from pi_pause.web.guard import LoginLimiter, Passwords, host_allowed, own_names, same_origin, session_secret

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
ACTIONS = {"pause": "Start a pause", "checkin": "Offer the check-in now", "stop": "Stop everything"}
SERVICE_DOWN = ("pi-pause is not running right now, so neither your phrase nor the button "
                "starts a pause. Ask whoever set it up to start it again (README.md, "
                "\"Troubleshooting\", says how).")
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat",
             "sun": "Sun"}

# What the page may change, group by group: (section, key). Anything else stays in the file.
GROUPS = {
    "phrase": (("listen", "phrases"),),
    "checkin": (("checkin", "enabled"), ("checkin", "time"), ("checkin", "days")),
    "pause": tuple(("pause", f.name) for f in dataclasses.fields(config.PauseSettings)
                   if f.name in ("break_minutes", "breathing", "breathing_minutes")),
    "voice": (("voice", "model"), ("voice", "length_scale"), ("voice", "volume")),
    "mqtt": tuple(("mqtt", f.name) for f in dataclasses.fields(config.MqttSettings)),
}
# The voices in the menu, each with a "hear it" button (the service plays `sample NAME`).
VOICE_LABELS = {"joe": "Joe: a man's voice", "heart": "Heart: a woman's voice"}
SAMPLES = {f"sample {name}": label.split(":")[0] for name, label in VOICE_LABELS.items()}

Ask = Callable[[str], dict]
PhraseCheck = Callable[[tuple[str, ...]], dict]  # the phrases -> `pi-pause phrase check --json`'s verdict
TYPED_KEPT = 400  # characters of a refused phrase kept to show again (the session is a cookie)
VOICE_ACTIONS = ("take", "finish", "cancel", "forget")
NAME_KEPT = 40  # characters of a typed name kept (the service refuses more than 20 letters)


def create_app(config_path: Path, state_dir: Path, ask: Ask, *, names: set[str] | None = None,
               phrase_check: PhraseCheck | None = None,
               now: Callable[[], datetime] | None = None,
               forget: Callable[[str], dict] | None = None) -> Flask:
    """The app for the settings file ``config_path``; ``ask(command)`` talks to the service;
    ``now()`` is the page's clock ("tomorrow at 9:00 PM"; tests give a fixed one)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=session_secret(state_dir), MAX_CONTENT_LENGTH=MAX_BODY,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="pi-pause")
    names = names if names is not None else own_names()
    settings_file = SettingsFile(config_path)
    passwords = Passwords(state_dir)
    limiter = LoginLimiter()
    phrase_check = phrase_check or (lambda phrases: run_phrase_check(config_path, phrases))
    forget = forget or (lambda name: run_forget(config_path, name))

    @app.before_request
    def only_the_pi_and_the_couple():
        if not host_allowed(request.host, names):
            abort(400, "this page answers only to the Pi's own name or address")
        if request.method == "POST":
            origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
            if not same_origin(origin, request.host):
                abort(403, "a change must come from this page")
            if not hmac.compare_digest(request.form.get("csrf", ""), session.get("csrf", "-")):
                abort(403, "the page was out of date; reload it and try again")
        if request.endpoint not in ("login", "static") and not session.get("in"):
            return redirect(url_for("login"))

    @app.after_request
    def no_caching_no_framing(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.context_processor
    def token():
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return {"csrf": session["csrf"]}

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if not passwords.is_set:
            return render_template("login.html", unset=True), 503
        if request.method == "GET":
            return render_template("login.html", unset=False)
        address = request.remote_addr or "?"
        wait = limiter.wait_seconds(address)
        if wait > 0:
            flash(f"Too many wrong passwords; try again in {wait / 60:.0f} minutes.", "error")
            return render_template("login.html", unset=False), 429
        if not passwords.check(request.form.get("password", "")):
            limiter.failed(address)
            flash("That is not the password.", "error")
            return render_template("login.html", unset=False), 401
        limiter.succeeded(address)
        session.clear()
        session.update({"in": True, "csrf": secrets.token_urlsafe(32)})
        return redirect(url_for("home"))

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def home():
        try:
            settings, problem = settings_file.read(), ""
        except config.ConfigError as exc:
            settings, problem = config.Settings(), str(exc)
        moment = now() if now is not None else None
        status = _ask(ask, "status")
        known = _ask(ask, "enrolled") if status.get("ok") else {}
        enrolled = {"ok": bool(known.get("ok")) and "people" in known, "people": known.get("people", []),
                    "pending": known.get("pending", {}), "needed": known.get("needed", 5)}
        return render_template("home.html", enrolled=enrolled, voice_name=session.get("voice_name", ""),
                               voices_said=session.pop("voices_said", None), status=status, settings=settings,
                               problem=problem, actions=_actions(status), days=DAY_NAMES,
                               pause_fields=[k for _, k in GROUPS["pause"]],
                               breathings=config.choices(config.PauseSettings, "breathing"),
                               about_breathing=page_words.BREATHING, paces=page_words.PACES,
                               when=lambda iso: page_words.when(iso, moment),
                               left=page_words.minutes_left,
                               voices=VOICE_LABELS, samples=SAMPLES,
                               voice=settings.voice.model or config.DEFAULT_VOICE,
                               checked=session.pop("checked", None))

    @app.post("/action")
    def action():
        what = request.form.get("what", "")
        if what not in ACTIONS and what != "sample" and what not in SAMPLES:
            abort(400, "unknown action")
        reply = _ask(ask, what)
        flash(reply.get("message") or reply.get("error") or "done", "ok" if reply.get("ok") else "error")
        return redirect(url_for("home"))

    @app.post("/settings")
    def change_settings():
        group = request.form.get("group", "")
        if group not in GROUPS:
            abort(400, "unknown group of settings")
        if group == "phrase":
            typed = request.form.get("listen.phrases", "")
            verdict = _will_hear(phrase_check, typed)
            if not verdict["ok"]:  # nothing is written that the ear cannot hear
                session["checked"] = dict(verdict, typed=typed[:TYPED_KEPT])
                return redirect(url_for("home", _anchor="phrase"))
        try:
            current = settings_file.read()
            if group == "phrase":  # written as the ear hears them ("Let's Take A Pause!" tidied)
                wanted = {("listen", "phrases"): tuple(verdict["phrases"])}
            else:
                wanted = {field: _value(field, request.form) for field in GROUPS[group]}
            if wanted.get(("voice", "model")) == config.DEFAULT_VOICE and not current.voice.model:
                wanted[("voice", "model")] = ""  # joe, as before: nothing to write
            # Only what differs is written: a value left at its default stays out of the file.
            changes = {(s, k): v for (s, k), v in wanted.items() if getattr(getattr(current, s), k) != v}
            if not changes:
                flash("Nothing to change.", "ok")
                return redirect(url_for("home"))
            settings_file.change(changes)
        except config.ConfigError as exc:
            flash(str(exc), "error")
            return redirect(url_for("home"))
        reply = _ask(ask, "reload")
        if reply.get("ok"):
            flash("Saved; " + reply.get("message", "settings reloaded") + ".", "ok")
        elif reply.get("down"):
            flash("Saved. pi-pause is not running now; it uses the change when it starts again.",
                  "error")
        else:
            flash(f"Saved in {config_path}; the service has not taken it up ({reply.get('error')}).", "error")
        if group == "phrase":
            session["checked"] = dict(verdict, plain="Saved. " + verdict["plain"])
            return redirect(url_for("home", _anchor="phrase"))
        return redirect(url_for("home"))

    @app.post("/voices")
    def voices():
        """One step of teaching it a voice; the verdict comes back in plain words at the section."""
        what = request.form.get("what", "")
        if what not in VOICE_ACTIONS:
            abort(400, "unknown step")
        name = " ".join(request.form.get("name", "").split())[:NAME_KEPT]
        if not name and what != "cancel":
            session["voices_said"] = {"text": "Type the name of the person first.", "ok": False}
            return redirect(url_for("home", _anchor="voices"))
        session["voice_name"] = name
        if what == "forget":
            reply = forget(name)
        else:
            reply = _ask(ask, f"enroll-{what} {name}".strip())
        said = reply.get("plain") or reply.get("message") or reply.get("error") or "Done."
        if what == "take" and reply.get("ok"):
            said += f" ({reply.get('takes', 0)} of {reply.get('needed', 5)} good takes.)"
        # Shown in the section itself, where the couple are looking, not at the top of the page.
        session["voices_said"] = {"text": said, "ok": bool(reply.get("ok") and reply.get("good_take", True))}
        return redirect(url_for("home", _anchor="voices"))

    @app.post("/phrase-check")
    def check_phrase():
        """Will it hear what is typed (not what is saved)? JSON for the page's script; without
        it, the page again, at the field, with what was typed still in it."""
        typed = request.form.get("listen.phrases", "")
        verdict = _will_hear(phrase_check, typed)
        if request.accept_mimetypes.best == "application/json":
            return jsonify({k: verdict.get(k) for k in ("ok", "plain", "plain_warnings", "phrases")})
        session["checked"] = dict(verdict, typed=typed[:TYPED_KEPT])
        return redirect(url_for("home", _anchor="phrase"))

    return app


def _actions(status: dict) -> dict[str, str]:
    """The buttons for what the service is doing: during a pause or a check-in, the one
    that matters is ending it."""
    state = status.get("state")
    if state in ("pausing", "on_break", "returning"):
        return {"stop": "End the break"}
    if state == "checking_in":
        return {"stop": "End the check-in"}
    return ACTIONS


def _ask(ask: Ask, command: str) -> dict:
    """The service's reply to ``command``, or why it could not be had."""
    try:
        return ask(command)
    except Exception as exc:  # a stopped service is a state to show, not an error page
        # The reason (with its systemctl advice) is for whoever set the Pi up, not a phone.
        log.info("the service does not answer: %s", exc)
        return {"ok": False, "down": True, "error": SERVICE_DOWN}


def _will_hear(phrase_check: PhraseCheck, typed: str) -> dict:
    """The ear's verdict on the phrases typed (one a line), in a couple's words: ``ok``,
    ``plain``, ``plain_warnings`` and, when ok, ``phrases`` as the ear will hear them.

    What can be tidied (case, punctuation) is tidied and what can never be said is
    refused here, by the normaliser the ear itself runs first; the rest is the ear's."""
    try:
        phrases = tuple(dict.fromkeys(phrase_text.normalise(line) for line in typed.splitlines()
                                      if line.strip())) or (phrase_text.normalise(""),)
    except phrase_text.PhraseTextError as exc:
        return {"ok": False, "plain": exc.plain, "plain_warnings": []}
    verdict = phrase_check(phrases)
    return {"ok": bool(verdict.get("ok")), "plain": verdict.get("plain") or "It cannot check the phrase now.",
            "plain_warnings": list(verdict.get("plain_warnings") or []),
            "phrases": list(verdict.get("phrases") or phrases)}


def _pi_pause(config_path: Path, *args: str) -> subprocess.CompletedProcess | None:
    """``pi-pause [--config FILE] ARGS...`` in a process of its own, its output captured;
    None when it took over two minutes."""
    command = [sys.executable, "-m", "pi_pause", *args]
    if config_path.exists():
        command[3:3] = ["--config", str(config_path)]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None


def run_phrase_check(config_path: Path, phrases: tuple[str, ...]) -> dict:
    """``pi-pause phrase check --json --each PHRASE...`` in a process of its own.

    It is the ear's own check (:func:`pi_pause.ear.spotter.check`, the code the service
    listens with), so "it will hear this" is true whether or not the service runs now.
    In a process of its own because the page must not load the ear (no microphone
    code here, and the engines it loads are freed when it ends); not over the control
    socket, because it would cost the listening service memory for every check, and
    would need the service up."""
    done = _pi_pause(config_path, "phrase", "check", "--json", "--each", "--", *phrases)
    if done is None:
        return {"ok": False, "plain": "The check took too long; try again."}
    try:
        return json.loads(done.stdout)
    except ValueError:
        problem = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        log.warning("the phrase check did not answer (%s)", problem)
        return {"ok": False, "plain": f"It cannot check the phrase now ({problem})."}


def run_forget(config_path: Path, name: str) -> dict:
    """``pi-pause phrase forget --speaker NAME`` in a process of its own (the page never
    loads the ear); it tells a running service to stop listening for the voice."""
    done = _pi_pause(config_path, "phrase", "forget", "--speaker", name)
    if done is None:
        return {"ok": False, "plain": "Forgetting took too long; try again."}
    if done.returncode != 0:
        log.info("forgetting a voice failed: %s", (done.stderr.strip().splitlines() or ["?"])[-1])
        return {"ok": False, "plain": f"It does not know a voice called {name}."}
    return {"ok": True, "plain": f"Forgotten: it no longer keeps anything of {name}'s voice."}


def _value(field: tuple[str, str], form) -> object:
    """A form value as the settings file wants it; what cannot be converted goes through
    as text, so the settings parser refuses it with its usual one-line message."""
    section, key = field
    hint = typing.get_type_hints(type(getattr(config.Settings(), section)))[key]
    name = f"{section}.{key}"
    if hint is bool:
        return name in form
    if typing.get_origin(hint) is tuple:
        return tuple(form.getlist(name))
    raw = form.get(name, "").strip()
    try:
        return int(raw) if hint is int else float(raw) if hint is float else raw
    except ValueError:
        return raw
