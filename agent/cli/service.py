"""The workflow's commands: ``run`` (the service) and ``deposit now`` (one run, now).

Exit codes (:mod:`agent.cli.output`): 0 done; 1 a failure (portal error, time-out...); 3
another run holds the lock (``AlreadyRunning``); 78 the config stops the service; 130
interrupted by Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from zoneinfo import ZoneInfo

import click

from agent.checkpoint import checked
from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option
from agent.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    ConfigProblem,
    Locked,
    dump,
    echo_lines,
    exit_with,
)
from agent.cli.render import summary_lines
from agent.deposit import RunOptions, record_interruption, run_deposit
from agent.keyrings import keyring_choice
from agent.lock import DEPOSIT_NOW, SCHEDULER, SERVICE, WORK, AlreadyRunning
from agent.meter import NO_METER, Meter
from agent.portals import default_login_guard, default_portal_factory
from agent.richmeter import RichMeter
from agent.store_lock import agent_lock
from agent.timefmt import log_in_timezone
from agent.where import whereabouts
from portal.credentials import CredentialsError, get_password


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
        paths = app.paths()  # computed once for the service's life
        with agent_lock(config, SCHEDULER, holder=SERVICE, stand_by=_standing_by) as lock:
            run_service(
                config,
                portal_factory=default_portal_factory(config, guard, paths),
                paths=paths,
                login_guard=guard,
                checkpoint=app.checkpoint,
                service_lock=lock,
            )
    except AlreadyRunning as exc:
        raise Locked(str(exc)) from exc


@click.group(name="deposit")
def deposit_group() -> None:
    """Deposit now, outside the schedule."""


@deposit_group.command(name="now")
@click.option("--wait", is_flag=True, help="Poll until every batch is processed (or --timeout).")
@click.option("--timeout", "timeout_s", type=float, default=None, help="Seconds (with --wait).")
@json_option("Print the summary as JSON.")
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

        run = app.run_context(progress=progress, meter=meter)
        try:
            with agent_lock(run.config, WORK, holder=DEPOSIT_NOW) as lock:
                # At each step the run reaches, its work lock must still be held.
                run = replace(run, checkpoint=checked(lock.check, run.checkpoint))
                summary = run_deposit(
                    run,
                    portal_factory=default_portal_factory(config, guard, run.paths),
                    options=options,
                    login_guard=guard,
                )
        except AlreadyRunning as exc:
            raise Locked(str(exc)) from exc
        except KeyboardInterrupt:
            # Ctrl-C reached Playwright's driver too; its dangling future would log a
            # "Connection closed" traceback at exit: that is this interruption, not news.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            click.echo(record_interruption(run), err=True)
            exit_with(EXIT_INTERRUPTED)
    if as_json:
        dump(summary.to_json())
    else:
        echo_lines(summary_lines(summary))
    if not summary.ok:
        exit_with(EXIT_FAILED)


def _terminal_meter() -> AbstractContextManager[Meter]:
    """Progress bars on a terminal's standard error; nothing for a pipe or a journal."""
    if not sys.stderr.isatty():
        return nullcontext(NO_METER)
    from rich.console import Console

    return RichMeter(Console(stderr=True)).shown()


COMMANDS: list[click.Command] = [run, deposit_group]
