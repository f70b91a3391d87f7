"""The settings page: what a couple may change without a terminal, on a phone.

A small Flask app, served by waitress (``pi-pause web``). It has no microphone, no
GPIO and no sound: it asks the running service over its control socket (status,
start a pause, offer the check-in, stop, reload the settings) and changes the
settings file only through :class:`~pi_pause.settings_file.SettingsFile`, the
same validation ``pi-pause config`` uses. Nothing heard is ever shown or stored.

Routes::

    GET  /          status, actions, settings, safety        POST /action     pause | checkin | stop
    GET  /login     the password                             POST /settings   one group of settings
    POST /logout                                             POST /phrase-check  the phrase check

Every POST carries the session's CSRF token and an Origin naming the Pi (see
:mod:`pi_pause.web.guard`).
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import secrets
import subprocess
import sys
import typing
from pathlib import Path
from typing import Callable

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for

from pi_pause import config
from pi_pause.settings_file import SettingsFile
from pi_pause.web.guard import LoginLimiter, Passwords, host_allowed, own_names, same_origin, session_secret

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
ACTIONS = {"pause": "Start a pause", "checkin": "Offer the check-in now", "stop": "Stop everything"}
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat",
             "sun": "Sun"}

# What the page may change, group by group: (section, key). Anything else stays in the file.
GROUPS = {
    "phrase": (("listen", "phrases"),),
    "checkin": (("checkin", "enabled"), ("checkin", "time"), ("checkin", "days")),
    "pause": tuple(("pause", f.name) for f in dataclasses.fields(config.PauseSettings)
                   if f.name in ("break_minutes", "breathing", "breathing_minutes")),
    "voice": (("voice", "model"), ("voice", "length_scale"), ("voice", "volume")),
}
# The voices in the menu, each with a "hear it" button (the service plays `sample NAME`).
VOICE_LABELS = {"joe": "Joe: a man's voice", "heart": "Heart: a woman's voice"}
SAMPLES = {f"sample {name}": label.split(":")[0] for name, label in VOICE_LABELS.items()}

Ask = Callable[[str], dict]


def create_app(config_path: Path, state_dir: Path, ask: Ask, *, names: set[str] | None = None,
               phrase_check: Callable[[str], tuple[bool, list[str]]] | None = None) -> Flask:
    """The app for the settings file ``config_path``; ``ask(command)`` talks to the service."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=session_secret(state_dir), MAX_CONTENT_LENGTH=MAX_BODY,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="pi-pause")
    names = names if names is not None else own_names()
    settings_file = SettingsFile(config_path)
    passwords = Passwords(state_dir)
    limiter = LoginLimiter()
    phrase_check = phrase_check or (lambda text: run_phrase_check(config_path, text))

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
        return render_template("home.html", status=_ask(ask, "status"), settings=settings,
                               problem=problem, actions=ACTIONS, days=DAY_NAMES,
                               pause_fields=[k for _, k in GROUPS["pause"]],
                               breathings=config.choices(config.PauseSettings, "breathing"),
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
        try:
            current = settings_file.read()
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
        else:
            flash(f"Saved in {config_path}; the service has not taken it up ({reply.get('error')}).", "error")
        return redirect(url_for("home"))

    @app.post("/phrase-check")
    def check_phrase():
        text = " ".join(request.form.get("phrase", "").lower().split())
        if not text:
            flash("Write a phrase to check.", "error")
            return redirect(url_for("home"))
        ok, lines = phrase_check(text)
        session["checked"] = {"phrase": text, "ok": ok, "lines": lines}
        return redirect(url_for("home"))

    return app


def _ask(ask: Ask, command: str) -> dict:
    """The service's reply to ``command``, or why it could not be had."""
    try:
        return ask(command)
    except Exception as exc:  # a stopped service is a state to show, not an error page
        return {"ok": False, "error": str(exc)}


def run_phrase_check(config_path: Path, text: str) -> tuple[bool, list[str]]:
    """``pi-pause phrase check TEXT`` in a process of its own: the engines it loads are
    freed when it ends, so the page itself stays small."""
    command = [sys.executable, "-m", "pi_pause", "phrase", "check", text]
    if config_path.exists():
        command[3:3] = ["--config", str(config_path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, ["the check took too long; try again"]
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode == 0, lines


def _value(field: tuple[str, str], form) -> object:
    """A form value as the settings file wants it; what cannot be converted goes through
    as text, so the settings parser refuses it with its usual one-line message."""
    section, key = field
    hint = typing.get_type_hints(type(getattr(config.Settings(), section)))[key]
    name = f"{section}.{key}"
    if hint is bool:
        return name in form
    if key == "phrases":
        return tuple(" ".join(line.lower().split()) for line in form.get(name, "").splitlines()
                     if line.strip())
    if typing.get_origin(hint) is tuple:
        return tuple(form.getlist(name))
    raw = form.get(name, "").strip()
    try:
        return int(raw) if hint is int else float(raw) if hint is float else raw
    except ValueError:
        return raw
