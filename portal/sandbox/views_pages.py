"""Pages after login: home, "Transmettre des données", deposit, history, downloads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, redirect, request, send_file
from werkzeug.wrappers import Response as WebResponse

from portal.sandbox import labels
from portal.sandbox.app import PARIS, login_required, page, sandbox, state
from portal.sandbox.deposits import UploadRefused
from portal.sandbox.rows import Deposit

blueprint = Blueprint("pages", __name__)

BASE = "/espace-prive"
CSS = Path(__file__).parent / "templates" / "sandbox.css"


def _user() -> str:
    username = state().username
    assert username is not None  # noqa: S101 - guarded by login_required
    return username


def _own_deposit(deposit_id: int) -> Deposit:
    deposit = sandbox().store.get_deposit(deposit_id)
    if deposit is None or deposit.username != _user():
        abort(404)
    return deposit


@blueprint.get("/")
def root() -> WebResponse:
    """The public root sends visitors to the private area."""
    return redirect(labels.LOGIN_PATH, code=303)


@blueprint.get("/static/sandbox.css")
def css() -> WebResponse:
    """The one stylesheet."""
    return send_file(CSS, mimetype="text/css", max_age=60)


@blueprint.get(f"{BASE}/accueil")
@login_required
def home() -> WebResponse:
    """Home page of the private area, with a summary of deposits."""
    deposits = sandbox().store.deposits(_user())
    counts: dict[labels.Status, int] = dict.fromkeys(labels.Status, 0)
    for deposit in deposits:
        counts[deposit.status] += 1
    return page(
        "home.html", title=labels.HOME_TAB, active="home", counts=counts, latest=deposits[:5]
    )


@blueprint.get(f"{BASE}/transmettre")
@login_required
def transmit() -> WebResponse:
    """The "Transmettre des données" tab: choose between deposit and history."""
    return page("transmit.html", title=labels.DEPOSIT_TAB, active="transmit")


@blueprint.get(f"{BASE}/transmettre/depot")
@login_required
def deposit_form() -> WebResponse:
    """The upload form."""
    return page("deposit.html", title=labels.DEPOSIT_LINK, active="transmit", sub="deposit")


@blueprint.post(f"{BASE}/transmettre/depot")
@login_required
def deposit_submit() -> WebResponse:
    """Store the upload, or show why it was refused (nothing stored then)."""
    box = sandbox()
    upload = request.files.get("fichier")
    try:
        deposit = box.deposits.accept(
            _user(), upload.filename if upload else None, upload.stream if upload else None
        )
    except UploadRefused as refused:
        return page(
            "deposit.html",
            refused.status,
            title=labels.DEPOSIT_LINK,
            active="transmit",
            sub="deposit",
            error=refused.message,
        )
    if box.faults.faults.fail_upload_confirmation:
        return page(
            "message.html", 500, title=labels.SERVER_ERROR_TITLE, text=labels.SERVER_ERROR_TEXT
        )
    return redirect(f"{BASE}/transmettre/depot/{deposit.id}", code=303)


@blueprint.get(f"{BASE}/transmettre/depot/<int:deposit_id>")
@login_required
def confirmation(deposit_id: int) -> WebResponse:
    """What was received, right after the upload."""
    deposit = _own_deposit(deposit_id)
    return page(
        "confirmation.html",
        title=labels.CONFIRMATION_TITLE,
        active="transmit",
        sub="confirmation",
        deposit=deposit,
    )


@blueprint.get(f"{BASE}/transmettre/historique")
@login_required
def history() -> WebResponse:
    """The history of deposited files, newest first, ``history_page_size`` rows a page."""
    deposits = sandbox().store.deposits(_user())
    size = sandbox().settings.history_page_size
    pages = max(1, -(-len(deposits) // size))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return page(
        "history.html",
        title=labels.HISTORY_LINK,
        active="transmit",
        sub="history",
        deposits=deposits[(number - 1) * size : number * size],
        page_number=number,
        page_count=pages,
    )


def _download(deposit: Deposit, relative: str | None, prefix: str) -> WebResponse:
    if relative is None:
        abort(404)
    path = sandbox().settings.data_dir / relative
    day = datetime.fromisoformat(deposit.processed_at or deposit.deposited_at).astimezone(PARIS)
    name = f"{prefix}_{deposit.file_name}_{day:%Y%m%d}.xml"
    inline = sandbox().faults.faults.documents_inline
    response = send_file(
        path, mimetype="application/xml", as_attachment=not inline, download_name=name, max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get(f"{BASE}/documents/<int:deposit_id>/accuse-reception")
@login_required
def receipt(deposit_id: int) -> WebResponse:
    """The accusé de réception as a file download."""
    deposit = _own_deposit(deposit_id)
    return _download(deposit, deposit.receipt_path, "Accusé de réception")


@blueprint.get(f"{BASE}/documents/<int:deposit_id>/accuse-traitement")
@login_required
def report(deposit_id: int) -> WebResponse:
    """The accusé de traitement as a file download, once processed."""
    deposit = _own_deposit(deposit_id)
    return _download(deposit, deposit.report_path, "Accusé de traitement")
