"""``accrochage report html FILE``: the status page as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from agent.cli_report import report_group
from agent.context import AppContext, pass_app


@report_group.command(name="html")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def report_html(app: AppContext, file: Path) -> None:
    """Write the status page (French, charts, no external resource) to FILE.

    Deadlines per week, files and their outcome, acceptance rate, rejects by CDC message
    class with what to do, invalid rows to correct; holders as initials and birth year.
    """
    from agent.status_server import write_status_page

    size = write_status_page(app.config, file)
    click.echo(f"status page written to {file} ({size / 1024:.0f} kB): open it in a browser")


COMMANDS: list[click.Command] = []
