"""The replica's Flask application: request hooks (faults, sessions, CSRF) and error pages.

Views live in ``portal.sandbox.views_auth`` (login, second step, logout),
``portal.sandbox.views_pages`` (navigation, deposit, history, downloads) and
``portal.sandbox.admin`` (the test-only fault endpoint).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, redirect, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response as WebResponse

from portal.sandbox import labels
from portal.sandbox.auth import Auth, SessionState
from portal.sandbox.deposits import DepositService
from portal.sandbox.faults import FaultState
from portal.sandbox.settings import SandboxSettings
from portal.sandbox.store import Store

COOKIE = "prdc_session"
PARIS = ZoneInfo("Europe/Paris")
P = ParamSpec("P")
R = TypeVar("R")
# Multipart framing around the file; the file itself is measured exactly while copied.
_FORM_OVERHEAD = 64 * 1024


@dataclass
class Sandbox:
    """Everything the views need, stored in ``app.extensions["sandbox"]``."""

    settings: SandboxSettings
    store: Store
    auth: Auth
    faults: FaultState
    deposits: DepositService
    admin_token: str


def sandbox() -> Sandbox:
    """The replica of the current app."""
    value: Sandbox = current_app.extensions["sandbox"]
    return value


def state() -> SessionState:
    """The session of the current request."""
    value: SessionState = g.session_state
    return value


def paris_time(iso: str) -> str:
    """An ISO timestamp shown as the French portal would: ``26/11/2026 15:16:02``."""
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a page with the shared context (labels, user, CSRF token)."""
    current = g.get("session_state")
    overrides = sandbox().faults.faults.labels
    shown = labels.LabelSet(overrides)
    html = render_template(
        template,
        labels=shown,
        status_label=shown.status,
        Status=labels.Status,
        user=current.username if current else None,
        csrf_token=current.session.csrf if current else "",
        paris_time=paris_time,
        human_size=labels.human_size,
        max_upload=sandbox().settings.max_upload_bytes,
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def login_url(next_path: str | None = None, info: str | None = None) -> str:
    """The login page, with where to go after login and an optional notice code."""
    query = {k: v for k, v in (("next", next_path), ("info", info)) if v}
    return labels.LOGIN_PATH + (f"?{urlencode(query)}" if query else "")


def login_required(view: Callable[P, R]) -> Callable[P, R | WebResponse]:
    """Send anonymous or expired sessions to the login page, then back here."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WebResponse:
        current = state()
        if current.username is None:
            next_path = request.full_path.rstrip("?") if request.method == "GET" else None
            info = "expired" if current.expired else None
            return redirect(login_url(next_path, info), code=303)
        return view(*args, **kwargs)

    return wrapper


def _is_admin() -> bool:
    return request.path.startswith("/_sandbox/")


def _before() -> WebResponse | None:
    if _is_admin():
        return None
    box = sandbox()
    faults = box.faults.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    is_asset = request.endpoint == "pages.css"
    if not is_asset and box.faults.in_maintenance():
        response = page(
            "message.html",
            503,
            title=labels.MAINTENANCE_TITLE,
            text=labels.MAINTENANCE_TEXT,
            maintenance=True,
            until=faults.maintenance_end.isoformat() if faults.maintenance_end else None,
        )
        response.headers["Retry-After"] = "120"
        return response
    if not is_asset and box.faults.draw_error():
        return page(
            "message.html", 500, title=labels.SERVER_ERROR_TITLE, text=labels.SERVER_ERROR_TEXT
        )
    if is_asset:
        return None
    g.session_state = box.auth.resume(request.cookies.get(COOKIE))
    posted = request.method == "POST" and not state().expired
    if posted and not box.auth.check_csrf(state(), request.form.get("csrf_token")):
        return page("message.html", 400, title=labels.FORM_REFUSED_TITLE, error=labels.CSRF_REFUSED)
    return None


def _after(response: Response) -> Response:
    current: SessionState | None = g.get("session_state")
    if current is not None and current.is_new:
        response.set_cookie(COOKIE, current.token, httponly=True, samesite="Lax", path="/")
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _too_large(_error: RequestEntityTooLarge) -> WebResponse:
    current = g.get("session_state")
    if current is None or current.username is None:
        return redirect(login_url(), code=303)
    limit = labels.human_size(sandbox().settings.max_upload_bytes)
    return page(
        "deposit.html",
        413,
        title=labels.DEPOSIT_LINK,
        active="transmit",
        sub="deposit",
        error=labels.TOO_LARGE.format(limit=limit),
    )


def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    title = labels.NOT_FOUND_TITLE if code == 404 else labels.SERVER_ERROR_TITLE
    return page("message.html", code, title=title, text=error.description)


def create_app(box: Sandbox) -> Flask:
    """Build the Flask app serving one replica.

    Args:
        box: The replica's settings, store and services.

    Returns:
        A WSGI application.
    """
    from portal.sandbox import admin, views_auth, views_pages

    app = Flask(__name__, template_folder="templates", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = box.settings.max_upload_bytes + _FORM_OVERHEAD
    app.config["TRAP_HTTP_EXCEPTIONS"] = False
    app.extensions["sandbox"] = box
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_blueprint(views_auth.blueprint)
    app.register_blueprint(views_pages.blueprint)
    app.register_blueprint(admin.blueprint)
    return app
