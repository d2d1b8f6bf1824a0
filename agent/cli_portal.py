"""``accrochage credentials set|check`` and ``accrochage portal probe``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.config import Config
from agent.context import AppContext, pass_app
from agent.portals import default_login_guard
from portal.errors import LoginFailed

if TYPE_CHECKING:
    from portal.browser import PlaywrightPortal


def _portal_client(
    config: Config, *, reuse_session: bool = True, provider: Callable[[], str] | None = None
) -> PlaywrightPortal:
    from portal.browser import PlaywrightPortal
    from portal.credentials import password_provider

    data_dir = config.agent.data_dir
    return PlaywrightPortal(
        config.portal,
        password_provider=provider or password_provider(config.portal.username),
        work_dir=data_dir / "portal",
        evidence_dir=data_dir / "evidence",
        reuse_session=reuse_session,
    )


def _read_password() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt(
            "Portal password", hide_input=True, confirmation_prompt=True, show_default=False
        )
        return value
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.group("credentials")
def credentials() -> None:
    """The portal password, kept in the system keyring (never in the config)."""


@credentials.command("set")
@pass_app
def credentials_set(app: AppContext) -> None:
    """Store the portal password for [portal] username.

    Asks for it with a hidden prompt on a terminal; otherwise reads one line from standard
    input (e.g. from a secrets manager: `pass show cdc | accrochage credentials set`).
    """
    from portal.credentials import backend_name, set_password

    username = app.config.portal.username
    if not username:
        raise click.ClickException("set [portal] username in the config first")
    backend = backend_name()
    set_password(username, _read_password())
    click.echo(f"Password stored for {username} (keyring service accrochage-agent, {backend}).")
    if default_login_guard(app.config).lift("a new password was stored (credentials set)"):
        click.echo("Logins were paused after a refused password: they resume with this one.")


@credentials.command("check")
@pass_app
def credentials_check(app: AppContext) -> None:
    """Log in to the portal with the stored password, then log out; say OK or why not."""
    from portal.credentials import backend_name, get_password

    config = app.config
    get_password(config.portal.username)  # a missing password is reported before Chromium starts
    guard = default_login_guard(config)
    pause = guard.paused_for_stored_password()
    if pause is not None:
        click.echo(
            f"note: {guard.paused_message(pause)}; trying this password once, as you asked",
            err=True,
        )
    try:
        with _portal_client(
            config, reuse_session=False, provider=guard.provider(enforce=False)
        ) as portal:
            portal.login()
            portal.logout()
    except LoginFailed as exc:
        raise guard.refused(exc) from exc
    guard.lift("credentials check logged in")
    click.echo(
        f"OK: logged in to {config.portal.base_url} as {config.portal.username} and out again "
        f"(password from {backend_name()})."
    )


@click.group("portal")
def portal_group() -> None:
    """Look at the CDC portal without depositing anything."""


@portal_group.command("probe")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the screenshots (default: <data_dir>/probe/<UTC time>).",
)
@pass_app
def portal_probe(app: AppContext, out_dir: Path | None) -> None:
    """Log in, walk to the deposit form and the history WITHOUT uploading, and say which
    profile entries match the pages (found / NOT FOUND). Exit 1 when something is missing."""
    from portal.probe import run_probe

    config = app.config
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_dir or config.agent.data_dir / "probe" / stamp
    with _portal_client(config, reuse_session=False) as portal:
        report = run_probe(portal, target)
    click.echo(f"Portal probe of {config.portal.base_url} as {config.portal.username}")
    for check in report.checks:
        status = {True: "found", False: "NOT FOUND", None: "not checked"}[check.found]
        note = f"  ({check.note})" if check.note else ""
        click.echo(f"  {check.page:<13} {check.entry:<24} {check.value!r:<40} {status}{note}")
    click.echo(f"Screenshots: {target}")
    missing = sum(1 for check in report.checks if check.found is False)
    click.echo(f"{len(report.checks) - missing} entries found or skipped, {missing} NOT FOUND.")
    if report.error:
        click.echo(f"Stopped: {report.error}", err=True)
    if not report.ok:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [credentials, portal_group]
