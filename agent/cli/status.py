"""The commands that read the store: ``status`` (and ``status --check``), ``rejects``,
``log``. None of them creates a store: without one they say where they looked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option
from agent.cli.output import dump, exit_with
from agent.cli.render import render_batch, render_rejects, render_service, render_status
from agent.health import check_result, findings, service_view
from agent.timefmt import human_time
from agent.views import (
    batch_view,
    find_batch,
    invalid_view,
    rejects_view,
    status_view,
    write_rejects_csv,
)
from agent.where import whereabouts


@click.command(name="status")
@click.argument("batch", required=False)
@json_option()
@click.option(
    "--check",
    is_flag=True,
    help="Monitoring: one line per finding; exit 0 healthy, 1 warning, 2 critical.",
)
@pass_app
def status(app: AppContext, batch: str | None, as_json: bool, check: bool) -> None:
    """Where every batch and passage stands; with BATCH, one batch in detail.

    With --check, what needs attention (Nagios/Icinga convention): exit code 0 healthy,
    1 warning, 2 critical, one line per finding (the same findings in --json).
    """
    if check:
        _check(app, as_json)
        return
    days = app.config.schedule.deadline_days
    now = dt.datetime.now(dt.UTC)
    tz = app.config.agent.timezone
    with app.existing_store() as store:
        if batch is not None:
            data = batch_view(store, find_batch(store, batch))
        else:
            today = dt.datetime.now(ZoneInfo(tz)).date()
            data = status_view(store, today=today, within_days=days)
            data["service"] = service_view(store, app.config, now)
    about = whereabouts(app.config_path, app.config)
    if as_json:
        dump(data | {"agent": about.to_json()})
    elif batch is not None:
        render_batch(data, tz=tz)
    else:
        click.echo(f"Agent: {about.line()}")
        render_status(data, tz=tz)
        render_service(data["service"])


def _check(app: AppContext, as_json: bool) -> None:
    with app.existing_store() as store:
        result = check_result(findings(store, app.config, dt.datetime.now(dt.UTC)))
    if as_json:
        dump(result)
    else:
        for finding in result["findings"]:
            click.echo(finding["line"])
        if not result["findings"]:
            click.echo("OK: nothing needs attention")
    exit_with(result["exit_code"])


@click.command(name="rejects")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write them as a CSV to correct and re-import (drop it in the inbox).",
)
@json_option()
@pass_app
def rejects(app: AppContext, csv_path: Path | None, as_json: bool) -> None:
    """Passages to correct: those the CDC rejected (its message, the class and what to do),
    then the invalid ones (bad rows whose idTechnique is known) with their reasons.

    The CSV holds both, every canonical column filled from the stored record (rejected) or
    from the imported file (invalid), plus status, cdcMessage, cdcClass, hint and reasons.
    """
    with app.existing_store() as store:
        data = {"rejects": rejects_view(store), "invalid": invalid_view(store)}
        written = (
            write_rejects_csv(store, csv_path, invalid=True, settings=app.config.build)
            if csv_path
            else None
        )
    if as_json:
        dump(data | {"csv": str(csv_path) if csv_path else None, "written": written})
        return
    render_rejects(data)
    if csv_path:
        click.echo(
            f"{written} row(s) written to {csv_path}: correct them and put the file in the inbox"
        )


@click.command(name="log")
@click.option("--limit", default=50, show_default=True, help="How many events.")
@click.option("--batch", "batch_ref", default=None, help="Only this batch's events.")
@json_option()
@pass_app
def log_command(app: AppContext, limit: int, batch_ref: str | None, as_json: bool) -> None:
    """The event log (append-only), oldest first."""
    tz = app.config.agent.timezone
    with app.existing_store() as store:
        batch_id = find_batch(store, batch_ref).id if batch_ref else None
        events = store.events(limit=limit, batch_id=batch_id)
    if as_json:
        dump([e.__dict__ for e in events])
        return
    for e in events:
        click.echo(f"{human_time(e.at, tz)} {e.level:7} {e.kind:16} {e.message}")


COMMANDS: list[click.Command] = [status, rejects, log_command]
