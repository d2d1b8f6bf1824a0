"""The service commands: ``run``, ``deposit now``, ``status``, ``rejects``, ``log``,
``report import``. Each parses its options, loads the config, calls one function, renders.

Exit codes: 0 done; 1 a failure (portal error, time-out, unknown batch...); 3 another run
holds the lock (``AlreadyRunning``); 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from agent.cli_report import report_group
from agent.collect import apply_report
from agent.context import AppContext, ConfigProblem, pass_app
from agent.deposit import RunOptions, record_interruption, run_deposit
from agent.health import check_result, findings, service_view
from agent.lock import DEPOSIT_NOW, SCHEDULER, SERVICE, WORK, AlreadyRunning
from agent.meter import NO_METER, Meter
from agent.paths import AgentPaths
from agent.portals import default_login_guard, default_portal_factory
from agent.render import (
    render_batch,
    render_rejects,
    render_service,
    render_status,
    summary_lines,
)
from agent.richmeter import RichMeter
from agent.store import StorePort, open_store
from agent.store_lock import agent_lock
from agent.timefmt import human_time, log_in_timezone
from agent.views import (
    batch_view,
    find_batch,
    invalid_view,
    rejects_view,
    status_view,
    write_rejects_csv,
)
from agent.where import keyring_choice, require_store, whereabouts
from builders.cdc.reports import parse_report
from builders.files import ensure_private_dir
from portal.credentials import CredentialsError, get_password

EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class Locked(click.ClickException):
    """Another run holds the lock."""

    exit_code = EXIT_LOCKED


def _locked(exc: AlreadyRunning) -> click.ClickException:
    return Locked(str(exc))


def _open_store(app: AppContext) -> StorePort:
    """The existing store (a command that only reads or amends never creates one)."""
    require_store(app.config_path, app.config)
    return open_store(app.config)


def _standing_by(active: AlreadyRunning) -> None:
    """Say once that this service waits for another machine's to stop (PostgreSQL store)."""
    logging.getLogger(__name__).warning(
        "accrochage run: standing by: %s; taking over when it stops", active
    )


@click.command(name="run")
@pass_app
def run(app: AppContext) -> None:
    """Run the agent as a service: the scheduled jobs of [schedule], until SIGTERM."""
    from agent.schedule import run_service

    config = app.config
    log_in_timezone(config.agent.timezone)
    guard = default_login_guard(config)
    logging.getLogger(__name__).info(
        "accrochage run: %s", whereabouts(app.config_path, config).line()
    )
    try:  # a service without its password would fail every job: stop, and say why
        get_password(config.portal.username, keyring_choice(config))
    except CredentialsError as exc:
        raise ConfigProblem(
            f"{exc.message} (the service stops: a restart cannot fix this)"
        ) from exc
    try:
        with agent_lock(config, SCHEDULER, holder=SERVICE, stand_by=_standing_by):
            run_service(
                config, portal_factory=default_portal_factory(config, guard), login_guard=guard
            )
    except AlreadyRunning as exc:
        raise _locked(exc) from exc


@click.group(name="deposit")
def deposit_group() -> None:
    """Deposit now, outside the schedule."""


@deposit_group.command(name="now")
@click.option("--wait", is_flag=True, help="Poll until every batch is processed (or --timeout).")
@click.option("--timeout", "timeout_s", type=float, default=None, help="Seconds (with --wait).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def deposit_now(app: AppContext, wait: bool, timeout_s: float | None, as_json: bool) -> None:
    """Import the inbox, build, deposit and collect, once (what the nightly job does)."""
    config = app.config
    options = RunOptions(
        wait=wait,
        timeout_s=timeout_s if timeout_s is not None else config.schedule.wait_timeout_s,
        poll_interval_s=config.schedule.poll_interval_s,
    )

    zone = ZoneInfo(config.agent.timezone)
    log_in_timezone(config.agent.timezone)
    guard = default_login_guard(config)
    with _terminal_meter() as meter:

        def progress(line: str) -> None:
            stamp = dt.datetime.now(zone).strftime("%H:%M:%S")
            if isinstance(meter, RichMeter):
                meter.console.print(f"[{stamp}] {line}", markup=False, highlight=False)
            else:
                click.echo(f"[{stamp}] {line}", err=as_json)

        try:
            with agent_lock(config, WORK, holder=DEPOSIT_NOW):
                summary = run_deposit(
                    config,
                    portal_factory=default_portal_factory(config, guard),
                    options=options,
                    progress=progress,
                    login_guard=guard,
                    meter=meter,
                )
        except AlreadyRunning as exc:
            raise _locked(exc) from exc
        except KeyboardInterrupt:
            # Ctrl-C reached Playwright's driver too; its dangling future would log a
            # "Connection closed" traceback at exit: that is this interruption, not news.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            click.echo(record_interruption(config), err=True)
            sys.exit(EXIT_INTERRUPTED)
    if as_json:
        _dump(summary.to_json())
    else:
        for line in summary_lines(summary):
            click.echo(line)
    if not summary.ok:
        sys.exit(1)


def _terminal_meter() -> AbstractContextManager[Meter]:
    """Progress bars on a terminal's standard error; nothing for a pipe or a journal."""
    if not sys.stderr.isatty():
        return nullcontext(NO_METER)
    from rich.console import Console

    return RichMeter(Console(stderr=True)).shown()


@click.command(name="status")
@click.argument("batch", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
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
    with _open_store(app) as store:
        if batch is not None:
            data = batch_view(store, find_batch(store, batch))
        else:
            today = dt.datetime.now(ZoneInfo(tz)).date()
            data = status_view(store, today=today, within_days=days)
            data["service"] = service_view(store, app.config, now)
    about = whereabouts(app.config_path, app.config)
    if as_json:
        _dump(data | {"agent": about.to_json()})
    elif batch is not None:
        render_batch(data, tz=tz)
    else:
        click.echo(f"Agent: {about.line()}")
        render_status(data, tz=tz)
        render_service(data["service"])


def _check(app: AppContext, as_json: bool) -> None:
    with _open_store(app) as store:
        result = check_result(findings(store, app.config, dt.datetime.now(dt.UTC)))
    if as_json:
        _dump(result)
    else:
        for finding in result["findings"]:
            click.echo(finding["line"])
        if not result["findings"]:
            click.echo("OK: nothing needs attention")
    sys.exit(result["exit_code"])


@click.command(name="rejects")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write them as a CSV to correct and re-import (drop it in the inbox).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def rejects(app: AppContext, csv_path: Path | None, as_json: bool) -> None:
    """Passages to correct: those the CDC rejected (its message, the class and what to do),
    then the invalid ones (bad rows whose idTechnique is known) with their reasons.

    The CSV holds both, every canonical column filled from the stored record (rejected) or
    from the imported file (invalid), plus status, cdcMessage, cdcClass, hint and reasons.
    """
    with _open_store(app) as store:
        data = {"rejects": rejects_view(store), "invalid": invalid_view(store)}
        written = (
            write_rejects_csv(store, csv_path, invalid=True, settings=app.config.build)
            if csv_path
            else None
        )
    if as_json:
        _dump(data | {"csv": str(csv_path) if csv_path else None, "written": written})
        return
    render_rejects(data)
    if csv_path:
        click.echo(
            f"{written} row(s) written to {csv_path}: correct them and put the file in the inbox"
        )


@click.command(name="log")
@click.option("--limit", default=50, show_default=True, help="How many events.")
@click.option("--batch", "batch_ref", default=None, help="Only this batch's events.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def log_command(app: AppContext, limit: int, batch_ref: str | None, as_json: bool) -> None:
    """The event log (append-only), oldest first."""
    tz = app.config.agent.timezone
    with _open_store(app) as store:
        batch_id = find_batch(store, batch_ref).id if batch_ref else None
        events = store.events(limit=limit, batch_id=batch_id)
    if as_json:
        _dump([e.__dict__ for e in events])
        return
    for e in events:
        click.echo(f"{human_time(e.at, tz)} {e.level:7} {e.kind:16} {e.message}")


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_app
def report_import(app: AppContext, file: Path, as_json: bool) -> None:
    """Apply an accusé de traitement downloaded by hand (matched by its nomFichier)."""
    report = parse_report(file)
    if not report.nom_fichier:
        raise click.ClickException(f"{file}: the report has no nomFichier; cannot match a batch")
    paths = AgentPaths.from_config(app.config)
    with _open_store(app) as store:
        batch = store.batch_by_name(report.nom_fichier)
        if batch is None:
            raise click.ClickException(
                f"{file}: no batch named {report.nom_fichier!r} was built by this agent"
            )
        dest = ensure_private_dir(paths.documents / batch.name.removesuffix(".xml")) / file.name
        shutil.copyfile(file, dest)
        from builders.files import file_sha256

        with store.transaction():
            store.add_document(
                batch.id, "accuse_traitement", dest, file_sha256(dest), dest.stat().st_size
            )
            store.add_event(
                "report_imported",
                f"{batch.name}: report imported by hand from {file}",
                batch_id=batch.id,
            )
            outcome = apply_report(store, batch, report)
        done = store.batch(batch.id)
    if as_json:
        _dump(
            {
                "batch": done.name,
                "status": str(outcome),
                "accepted": done.accepted,
                "rejected": done.rejected,
                "saved_as": str(dest),
            }
        )
    else:
        click.echo(
            f"{done.name}: {outcome} ({done.accepted} accepted, {done.rejected} rejected);"
            f" report kept as {dest}"
        )


report_group.add_command(report_import)

COMMANDS: list[click.Command] = [run, deposit_group, status, rejects, log_command]
