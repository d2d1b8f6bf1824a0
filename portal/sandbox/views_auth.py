"""Login, the optional one-time-code step, and logout."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import Blueprint, g, redirect, request
from werkzeug.wrappers import Response as WebResponse

from portal.sandbox import labels
from portal.sandbox.app import login_url, page, sandbox, state
from portal.sandbox.auth import LoginResult

blueprint = Blueprint("auth", __name__)

HOME = "/espace-prive/accueil"
_NOTICES = {"expired": labels.SESSION_EXPIRED, "logout": labels.LOGGED_OUT}


def _safe_next(value: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return HOME


def _locked_message(username: str) -> str:
    box = sandbox()
    minutes = box.auth.locked_minutes(username) or box.settings.lockout_minutes
    return labels.ACCOUNT_LOCKED.format(
        attempts=box.settings.lockout_attempts, minutes=max(1, math.ceil(minutes))
    )


def _login_page(status: int = 200, error: str | None = None, username: str = "") -> WebResponse:
    info = _NOTICES.get(request.args.get("info", ""))
    next_path = request.values.get("next", "")
    return page(
        "login.html",
        status,
        title=labels.LOGIN_TITLE,
        error=error,
        info=info,
        next_path=next_path,
        username=username,
    )


def _logged_in(username: str) -> WebResponse:
    g.session_state = sandbox().auth.promote(state(), username)
    return redirect(_safe_next(request.values.get("next")), code=303)


@blueprint.get(labels.LOGIN_PATH)
def login_form() -> WebResponse:
    """The login page (logged-in users go to the home page)."""
    if state().username is not None:
        return redirect(HOME, code=303)
    return _login_page()


@blueprint.post(labels.LOGIN_PATH)
def login_submit() -> WebResponse:
    """Check the credentials; errors are shown on the login page."""
    if state().expired:
        return redirect(login_url(info="expired"), code=303)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    result = sandbox().auth.login(state(), username, password)
    if result is LoginResult.OK:
        return _logged_in(username)
    if result is LoginResult.OTP_REQUIRED:
        next_path = _safe_next(request.form.get("next"))
        query = urlencode({"next": next_path})
        return redirect(f"{labels.LOGIN_PATH}/verification?{query}", code=303)
    if result is LoginResult.LOCKED:
        return _login_page(403, _locked_message(username), username)
    return _login_page(401, labels.BAD_CREDENTIALS, username)


@blueprint.route(f"{labels.LOGIN_PATH}/verification", methods=["GET", "POST"])
def otp() -> WebResponse:
    """The one-time-code step (only when the replica runs with ``otp_enabled``)."""
    current = state()
    if current.session.pending_username is None:
        return redirect(login_url(info="expired" if current.expired else None), code=303)
    error = None
    status = 200
    if request.method == "POST":
        result = sandbox().auth.verify_otp(current, request.form.get("code", ""))
        if result is LoginResult.OK:
            return _logged_in(current.session.pending_username)
        if result is LoginResult.LOCKED:
            return _login_page(403, _locked_message(current.session.pending_username))
        error, status = labels.BAD_OTP, 401
    return page(
        "otp.html",
        status,
        title=labels.OTP_TITLE,
        error=error,
        next_path=request.values.get("next", ""),
    )


@blueprint.route(f"{labels.LOGIN_PATH}/deconnexion", methods=["GET", "POST"])
def logout() -> WebResponse:
    """Log out: the nav link carries the CSRF token; without it, a confirmation form."""
    current = state()
    box = sandbox()
    token = request.values.get("jeton") or request.form.get("csrf_token")
    if current.username is None:
        return redirect(login_url(), code=303)
    if box.auth.check_csrf(current, token):
        box.auth.logout(current)
        return redirect(login_url(info="logout"), code=303)
    return page("logout.html", title=labels.LOGOUT)
