"""``accrochage sandbox``: run the local replica of the CDC certifiers' portal."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click

from agent.cli.app import AppContext, pass_app


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected NAME=TEXT", param_hint="--label")
        labels[name.strip()] = text
    return labels


def _faults(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "latency_ms": options["latency_ms"],
        "error_rate": options["error_rate"],
        "error_seed": options["error_seed"],
        "maintenance_start": options["maintenance_start"],
        "maintenance_end": options["maintenance_end"],
        "session_max_age_s": options["session_max_age"],
        "fail_upload_confirmation": options["fail_upload_confirmation"] or None,
        "documents_inline": options["documents_inline"] or None,
        "labels": _labels(options["label"]) or None,
    }


@click.command("sandbox")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port on 127.0.0.1 (default 8765; 0 picks a free one).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Replica data folder (default: <agent data_dir>/sandbox).",
)
@click.option("--username", default=None, help="Account to create (default: certificateur).")
@click.option(
    "--password",
    default=None,
    envvar="ACCROCHAGE_SANDBOX_PASSWORD",
    help="Its password (or $ACCROCHAGE_SANDBOX_PASSWORD); generated for a new account.",
)
@click.option(
    "--processing-delay",
    type=click.FloatRange(0),
    default=None,
    help="Seconds between deposit and processing (default 3).",
)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML file with a [sandbox] table (and [sandbox.faults]).",
)
@click.option(
    "--xsd",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Official XSD for the control stage (default: newest imported).",
)
@click.option("--otp/--no-otp", default=None, help="Ask for a one-time code after the password.")
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Largest accepted file, in MB (default 200).",
)
@click.option(
    "--lockout-attempts",
    type=click.IntRange(1),
    default=None,
    help="Failed logins before the account locks (default 5).",
)
@click.option(
    "--lockout-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="How long a locked account stays locked (default 15).",
)
@click.option(
    "--session-idle",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Idle seconds before a session expires (default 1800).",
)
@click.option(
    "--history-page-size",
    type=click.IntRange(min=1, max=1000),
    default=None,
    help="History rows per page (default 20).",
)
@click.option(
    "--admin-token",
    default=None,
    envvar="ACCROCHAGE_SANDBOX_ADMIN_TOKEN",
    help="Token of the test-only admin endpoint (default: generated).",
)
@click.option(
    "--latency-ms", type=click.IntRange(0), default=None, help="Fault: added latency per request."
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Fault: share of requests answered with HTTP 500.",
)
@click.option("--error-seed", type=int, default=None, help="Fault: seed of the HTTP 500 draw.")
@click.option(
    "--maintenance-start",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]),
    default=None,
    help="Fault: maintenance page (503) from this time (e.g. 2026-12-01T20:00:00+01:00).",
)
@click.option(
    "--maintenance-end",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]),
    default=None,
    help="Fault: end of the maintenance window.",
)
@click.option(
    "--maintenance-for",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Fault: maintenance from now for this many seconds.",
)
@click.option(
    "--session-max-age",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Fault: sessions expire this many seconds after login.",
)
@click.option(
    "--fail-upload-confirmation",
    is_flag=True,
    default=False,
    help="Fault: store uploads but answer HTTP 500 instead of the confirmation.",
)
@click.option(
    "--documents-inline",
    is_flag=True,
    default=False,
    help="Fault: serve receipts and reports inline instead of as file downloads.",
)
@click.option(
    "--label",
    multiple=True,
    metavar="NAME=TEXT",
    help="Fault: change a page label or status text (e.g. DEPOSIT_TAB=..., PROCESSED=...).",
)
@pass_app
def sandbox(app: AppContext, /, **options: Any) -> None:
    """Run the local replica of the CDC certifiers' portal (foreground; Ctrl-C stops it)."""
    from portal.sandbox.server import SandboxServer, data_dir_for
    from portal.sandbox.settings import (
        SandboxSettingsError,
        build_settings,
        load_settings_file,
    )

    try:
        base = load_settings_file(options["settings_file"]) if options["settings_file"] else {}
        if "data_dir" not in base and options["data_dir"] is None:
            base["data_dir"] = data_dir_for(app.config.agent.data_dir)
        base.setdefault("agent_data_dir", app.config.agent.data_dir)
        max_mb = options["max_upload_mb"]
        settings = build_settings(
            base,
            {
                "data_dir": options["data_dir"],
                "port": options["port"],
                "username": options["username"],
                "password": options["password"],
                "processing_delay_s": options["processing_delay"],
                "xsd": options["xsd"],
                "otp_enabled": options["otp"],
                "max_upload_bytes": int(max_mb * 1024 * 1024) if max_mb else None,
                "lockout_attempts": options["lockout_attempts"],
                "lockout_minutes": options["lockout_minutes"],
                "session_idle_s": options["session_idle"],
                "history_page_size": options["history_page_size"],
                "admin_token": options["admin_token"],
                "faults": _faults(options),
            },
        )
    except SandboxSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    server = SandboxServer(settings)
    if options["maintenance_for"]:
        server.faults.update({"maintenance_for_s": options["maintenance_for"]})
    _serve(server)


def _serve(server: Any) -> None:
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        settings = server.settings
        click.echo(f"Sandbox portal: {server.login_url}")
        click.echo(f'In the agent\'s config: [portal] base_url = "{server.url}"')
        click.echo(f"Data folder: {settings.data_dir}")
        if server.generated_password:
            click.echo(f"Account: {settings.username} (password: {server.generated_password})")
        else:
            click.echo(f"Account: {settings.username}")
        click.echo(f"Admin token (test-only fault endpoint): {server.admin_token}")
        click.echo(f"Started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}; Ctrl-C stops.")
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        click.echo("Sandbox portal stopped.")


COMMANDS: list[click.Command] = [sandbox]
