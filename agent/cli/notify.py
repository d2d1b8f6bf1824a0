"""``accrochage notify test|send|secret``: the notification destinations of ``[notify]``."""

from __future__ import annotations

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option
from agent.cli.output import EXIT_FAILED, dump, exit_with
from agent.cli.portal import read_secret


@click.group(name="notify")
def notify_group() -> None:
    """Notifications ([notify] urls): test the destinations, send now, store their secrets."""


@notify_group.command(name="test")
@json_option("Print the results as JSON.")
@pass_app
def notify_test(app: AppContext, as_json: bool) -> None:
    """Send a test message to every destination and say, for each, whether it arrived.

    Exit code 0 when every destination accepted it, 1 otherwise.
    """
    from agent.notify import try_destinations

    config = app.config
    if not config.notify.urls:
        raise click.ClickException("no destination: set [notify] urls in the config")
    results = try_destinations(config)
    if as_json:
        dump(
            [
                {"destination": label, "ok": error is None, "error": error}
                for label, error in results
            ]
        )
    else:
        for label, error in results:
            click.echo(f"{label}: " + ("OK" if error is None else f"FAILED: {error}"))
    if any(error is not None for _, error in results):
        exit_with(EXIT_FAILED)


@notify_group.command(name="send")
@pass_app
def notify_send(app: AppContext) -> None:
    """Send the pending notifications now (what the end of a run and the service do)."""
    from agent.notify import send_pending

    report = send_pending(app.config)
    if report.skipped:
        click.echo(f"nothing sent: {report.skipped}")
    for label, count in report.sent.items():
        failure = report.failed.get(label)
        click.echo(
            f"{label}: {count} sent" + (f"; FAILED: {failure} (retried later)" if failure else "")
        )
    if report.failed or report.skipped:
        exit_with(EXIT_FAILED)


@notify_group.command(name="secret")
@click.argument("name")
@pass_app
def notify_secret(app: AppContext, name: str) -> None:
    """Store the secret NAME (SMTP password, token) that a URL refers to as {secret:NAME}.

    Asks for it with a hidden prompt on a terminal; otherwise reads one line from standard input.
    """
    from agent.keyrings import keyring_choice
    from agent.notify import SECRET_USER_PREFIX
    from portal.credentials import set_password

    secret = read_secret(f"Secret {name}")
    where = set_password(SECRET_USER_PREFIX + name, secret, keyring_choice(app.config))
    click.echo(f"Secret {name!r} stored in {where}, where the service reads it.")


COMMANDS: list[click.Command] = [notify_group]
