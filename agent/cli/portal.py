"""``accrochage credentials set|check`` and ``accrochage portal probe``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.output import EXIT_FAILED, exit_with
from agent.config import Config
from agent.keyrings import keyring_choice
from agent.portals import default_login_guard
from portal.errors import LoginFailed
from portal.reach import require_reachable

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
        password_provider=provider
        or password_provider(config.portal.username, keyring_choice(config)),
        work_dir=data_dir / "portal",
        evidence_dir=data_dir / "evidence",
        reuse_session=reuse_session,
    )


def read_secret(prompt: str = "Portal password") -> str:
    """A secret from a hidden, confirmed prompt on a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        value: str = click.prompt(
            prompt, hide_input=True, confirmation_prompt=True, show_default=False
        )
        return value
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.group("credentials")
def credentials() -> None:
    """The portal password, kept in the system keyring (never in the config)."""


@credentials.command("set")
@click.option(
    "--store",
    "for_store",
    is_flag=True,
    help="Store the password of the PostgreSQL database [store] url names, not the portal's.",
)
@pass_app
def credentials_set(app: AppContext, for_store: bool) -> None:
    """Store the portal password for [portal] username (or, with --store, the store's).

    Asks for it with a hidden prompt on a terminal; otherwise reads one line from standard
    input (e.g. from a secrets manager: `pass show cdc | accrochage credentials set`).
    """
    from portal.credentials import ready_to_store, set_password

    if for_store:
        _set_store_password(app)
        return
    username = app.config.portal.username
    if not username:
        raise click.ClickException("set [portal] username in the config first")
    choice = keyring_choice(app.config)
    created = ready_to_store(choice)  # what is missing is said before the password is typed
    if created is not None:
        click.echo(
            f"Created the keyring key {created} (owner-only): keep it, and keep it off the "
            f"backups that hold {choice.keyring_file}."
        )
    where = set_password(username, read_secret(), choice)
    click.echo(
        f"Password stored for {username} in {where}, and read back the way the service reads it."
    )
    problem = choice.desktop_only()  # only possible with backend = "system", chosen on purpose
    if problem:
        click.echo(f"note: a service started at boot cannot read it: {problem}")
    if default_login_guard(app.config).lift("a new password was stored (credentials set)"):
        click.echo("Logins were paused after a refused password: they resume with this one.")


def _set_store_password(app: AppContext) -> None:
    from agent.store.password import set_store_password, store_key

    url = app.config.store.url or ""
    if not url.startswith("postgresql://"):
        raise click.ClickException(
            "--store: [store] url is not a postgresql:// URL (a SQLite store has no password)"
        )
    where = set_store_password(app.config, url, read_secret("Store database password"))
    click.echo(
        f"Password of the store {store_key(url).removeprefix('store:')} stored in {where}, "
        "and read back the way the service reads it."
    )


@credentials.command("check")
@pass_app
def credentials_check(app: AppContext) -> None:
    """Log in to the portal with the stored password, then log out; say OK or why not."""
    from portal.credentials import get_password

    config = app.config
    choice = keyring_choice(config)
    get_password(config.portal.username, choice)  # reported before Chromium starts
    require_reachable(config.portal)  # one fast attempt, not minutes of browser retries
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
        f"(password from {choice.describe()})."
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
    from portal.probe_hints import ENTRY_KINDS

    config = app.config
    require_reachable(config.portal)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_dir or config.agent.data_dir / "probe" / stamp
    with _portal_client(config, reuse_session=False) as portal:
        report = run_probe(portal, target)
    click.echo(f"Portal probe of {config.portal.base_url} as {config.portal.username}")
    for check in report.checks:
        status = {True: "found", False: "NOT FOUND", None: "not checked"}[check.found]
        note = f"  ({check.note})" if check.note else ""
        click.echo(f"  {check.page:<13} {check.entry:<24} {check.value!r:<40} {status}{note}")
        if check.closest:
            near = ", ".join(f"{c.text!r} ({c.kind}, {c.ratio:.0%})" for c in check.closest)
            click.echo(f"      closest on the page: {near}")
        elif check.found is False and not check.note and check.entry in ENTRY_KINDS:
            click.echo("      nothing of that kind on the page: see its screenshot")
    pastes = [check.paste for check in report.checks if check.paste]
    if pastes:
        click.echo("Best guesses to paste into the config (check them on the screenshots):")
        click.echo("[portal.profile]")
        for line in dict.fromkeys(pastes):
            click.echo(line)
    click.echo(f"Screenshots: {target}")
    missing = sum(1 for check in report.checks if check.found is False)
    click.echo(f"{len(report.checks) - missing} entries found or skipped, {missing} NOT FOUND.")
    if report.error:
        click.echo(f"Stopped: {report.error}", err=True)
    if not report.ok:
        exit_with(EXIT_FAILED)


COMMANDS: list[click.Command] = [credentials, portal_group]
