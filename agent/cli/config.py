"""``accrochage config show|validate`` and ``accrochage doctor``: the installation itself.

``config validate`` and a config that cannot be loaded exit with 78 (EX_CONFIG), as every
command does; ``doctor`` exits 1 when any check fails (warnings alone keep 0).
"""

from __future__ import annotations

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option
from agent.cli.output import EXIT_FAILED, ConfigProblem, dump, exit_with
from agent.config import ENV_CONFIG
from agent.where import config_label, whereabouts


@click.group("config")
def config_group() -> None:
    """The configuration file: what the agent reads, and whether it is valid."""


@config_group.command("show")
@json_option()
@pass_app
def config_show(app: AppContext, as_json: bool) -> None:
    """Print the effective configuration (every key, defaults included; no secrets)."""
    from agent.config_render import effective_toml

    config = app.config
    if as_json:
        dump({"config_file": config_label(app.config_path)} | config.model_dump(mode="json"))
        return
    click.echo(effective_toml(config, config_label(app.config_path)), nl=False)


@config_group.command("validate")
@pass_app
def config_validate(app: AppContext) -> None:
    """Check the config file: keys, values, cron expressions, base_url, time zone."""
    path = app.config_path
    if path is None:
        raise ConfigProblem(
            f"no config file to validate: pass --config or set {ENV_CONFIG} "
            "(./accrochage.toml is not there either)"
        )
    config = app.config
    click.echo(f"OK: {path} is valid.")
    if not config.portal.username:
        click.echo("note: [portal] username is not set: the agent cannot log in to the portal")
    if config.credentials.backend == "auto":
        click.echo(
            'note: [credentials] backend = "auto": on a server, prefer "file" with key_file '
            "(README, section Credentials)"
        )


@click.command("doctor")
@pass_app
def doctor(app: AppContext) -> None:
    """Check that this installation can run: one line per check, exit 1 if any fails."""
    from agent.doctor import Check, Level, run_doctor

    try:
        config = app.config
    except ConfigProblem as exc:
        click.echo(f"{Level.FAIL:<5} {'config':<9} {exc.message}")
        exit_with(EXIT_FAILED)
    click.echo(f"accrochage doctor: {whereabouts(app.config_path, config).line()}")
    checks: list[Check] = run_doctor(app.config_path, config)
    for check in checks:
        click.echo(f"{check.level:<5} {check.name:<9} {check.detail}")
    failed = [check.name for check in checks if check.level is Level.FAIL]
    if failed:
        click.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}")
        exit_with(EXIT_FAILED)
    click.echo("All checks passed." if all(c.level is Level.OK for c in checks) else "No failure.")


COMMANDS: list[click.Command] = [config_group, doctor]
