"""``accrochage report``: read the CDC's accusé de traitement.

``report_group`` is exported so other modules can attach subcommands (``report import``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from builders.cdc.reports import ProcessingReport, parse_report, report_to_json


@click.group(name="report")
def report_group() -> None:
    """Read the CDC's processing reports (accusés de traitement)."""


@report_group.command(name="parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def parse(file: Path, as_json: bool) -> None:
    """Show which passages of a report the CDC accepted, refused and why.

    Exit code 0 when the report was read (even if it lists KO passages or file errors),
    1 when the file is refused (not a report, not XML, hostile, too large).
    """
    report = parse_report(file)
    if as_json:
        click.echo(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        return
    for line in render_report(report, file):
        click.echo(line)


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


report = report_group

COMMANDS: list[click.Command] = [report]
