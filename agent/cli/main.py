"""``accrochage``: the root group, its global options and the console-script entry point.

Each command parses its input, loads the config, calls one function and renders the result
(:mod:`agent.cli.output`). Domain errors become ``Error: ...`` lines and exit code 1;
tracebacks only with --verbose.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from agent.cli.app import AppContext
from agent.cli.build import COMMANDS as BUILD_COMMANDS
from agent.cli.config import COMMANDS as CONFIG_COMMANDS
from agent.cli.notify import COMMANDS as NOTIFY_COMMANDS
from agent.cli.output import ConfigProblem
from agent.cli.portal import COMMANDS as PORTAL_COMMANDS
from agent.cli.report import COMMANDS as REPORT_COMMANDS
from agent.cli.sandbox import COMMANDS as SANDBOX_COMMANDS
from agent.cli.schema import COMMANDS as SCHEMA_COMMANDS
from agent.cli.service import COMMANDS as SERVICE_COMMANDS
from agent.cli.status import COMMANDS as STATUS_COMMANDS
from agent.cli.withdraw import COMMANDS as WITHDRAW_COMMANDS
from agent.collect import CollectError
from agent.config import ConfigError
from agent.lifecycle import TransitionError
from agent.store import StoreError
from agent.testhooks import CRASH_ENV
from agent.timefmt import LOG_FORMAT
from agent.where import NoAgentData
from agent.withdrawal import WithdrawalError
from builders.errors import BuildError
from portal.errors import PortalError

_DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    BuildError,
    CollectError,
    ConfigError,
    NoAgentData,
    PortalError,
    StoreError,
    TransitionError,
    WithdrawalError,
)


class AppGroup(click.Group):
    """A group that turns domain errors into clean CLI errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _DOMAIN_ERRORS as exc:
            app = ctx.find_object(AppContext)
            if app is not None and app.verbose:
                raise
            if isinstance(exc, ConfigError):
                raise ConfigProblem(str(exc)) from exc
            raise click.ClickException(str(exc)) from exc


@click.group(cls=AppGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $ACCROCHAGE_CONFIG, else ./accrochage.toml, else built-in).",
)
@click.option("--verbose", "-v", is_flag=True, help="Debug logging and full tracebacks.")
@click.option("--test-crash-at", "crash_at", envvar=CRASH_ENV, default=None, hidden=True)
@click.version_option(package_name="accrochage-agent")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool, crash_at: str | None) -> None:
    """Declare awarded certificates to the Caisse des Dépôts (accrochage certificateur)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT)
    # APScheduler's own lines ("Running job...", "executed successfully") are noise at INFO:
    # the agent writes its own summary line per run. Its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = AppContext(config_option=config_path, verbose=verbose, crash_at=crash_at)


# `accrochage --help` lists them alphabetically, whatever the order here.
for _command in (
    *BUILD_COMMANDS,
    *SCHEMA_COMMANDS,
    *REPORT_COMMANDS,
    *SERVICE_COMMANDS,
    *STATUS_COMMANDS,
    *PORTAL_COMMANDS,
    *SANDBOX_COMMANDS,
    *WITHDRAW_COMMANDS,
    *NOTIFY_COMMANDS,
    *CONFIG_COMMANDS,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point. Files written by the agent are owner-only."""
    os.umask(0o077)
    cli(prog_name="accrochage")
