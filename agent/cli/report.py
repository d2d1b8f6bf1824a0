"""``accrochage report parse|import|html``: the CDC's accusés de traitement, and the status
page as a file."""

from __future__ import annotations

from pathlib import Path

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option
from agent.cli.output import dump, echo_lines
from builders.cdc.reports import ProcessingReport, parse_report, report_to_json


@click.group(name="report")
def report_group() -> None:
    """Read the CDC's processing reports (accusés de traitement)."""


@report_group.command(name="parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option("Print the report as JSON.")
def parse(file: Path, as_json: bool) -> None:
    """Show which passages of a report the CDC accepted, refused and why.

    Exit code 0 when the report was read (even if it lists KO passages or file errors),
    1 when the file is refused (not a report, not XML, hostile, too large).
    """
    report = parse_report(file)
    if as_json:
        dump(report_to_json(report))
        return
    echo_lines(render_report(report, file))


def render_report(report: ProcessingReport, file: Path) -> list[str]:
    """Human lines: a summary, one line per KO passage, one line per file-level error.

    Args:
        report: The parsed report.
        file: The report file (its name stands in when the report has no nomFichier).

    Returns:
        The lines to print.
    """
    name = report.nom_fichier or file.name
    head = f"{name} (idTraitement {report.id_traitement or '?'}): "
    if report.file_rejected:
        count = len(report.errors)
        head += f"file rejected: {count} error{'s' if count != 1 else ''}"
    else:
        head += f"{len(report.ok_ids)} OK / {len(report.ko)} KO"
    lines = [head]
    for passage in report.ko:
        lines.append(
            f"  KO {passage.id_technique} [{passage.klass}] {passage.message or '(no message)'}"
            f" -> {passage.hint}"
        )
    for error in report.errors:
        where = f"line {_or_unknown(error.line)}, column {_or_unknown(error.column)}"
        lines.append(f"  {error.type or 'error'} at {where}: {error.message}")
    return lines


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)


@report_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option("Print the outcome as JSON.")
@pass_app
def report_import(app: AppContext, file: Path, as_json: bool) -> None:
    """Apply an accusé de traitement downloaded by hand (matched by its nomFichier)."""
    from agent.report_import import import_report, read_report

    report = read_report(file)
    with app.existing_store() as store:
        done = import_report(store, app.paths(), file, report)
    if as_json:
        dump(done.to_json())
    else:
        batch = done.batch
        click.echo(
            f"{batch.name}: {done.outcome} ({batch.accepted} accepted, {batch.rejected} rejected);"
            f" report kept as {done.saved_as}"
        )


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


report = report_group

COMMANDS: list[click.Command] = [report]
