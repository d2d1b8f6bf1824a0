"""``accrochage build``, ``check`` and ``template``: the builders' commands.

``build`` exit codes: 0 every row valid, 1 some rows rejected (good rows still written) or a
built file failed the imported XSD, 2 unusable input. ``check``: 0 when no finding is an
error (warnings alone keep 0), 1 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agent.cli.app import AppContext, pass_app
from agent.cli.options import json_option, schema_version_option
from agent.cli.output import EXIT_FAILED, EXIT_UNUSABLE, dump, echo_lines, error, exit_with
from builders.cdc.versions import action_version
from builders.errors import BuildError
from builders.flux.splitter import BuiltFile

if TYPE_CHECKING:
    from builders.exports.headers import Notice
    from builders.exports.results import RowError
    from builders.flux.build import BuildResult

EXIT_REJECTED = EXIT_FAILED


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _wrote(built: BuiltFile) -> str:
    plural = "s" if built.passages != 1 else ""
    return f"wrote {built.name}: {built.passages} passage{plural}, {_size(built.size)}"


def _file_json(built: BuiltFile) -> dict[str, Any]:
    return {
        "name": built.name,
        "path": str(built.path),
        "id_flux": built.id_flux,
        "schema_version": built.schema_version,
        "passages": built.passages,
        "size": built.size,
        "sha256": built.sha256,
    }


def _no_xsd_warning(version: str) -> None:
    click.echo(
        f"warning: no imported XSD for schema {version}: only the built-in rules were applied"
        " (run `accrochage schema import <official kit .zip or .xsd>`)",
        err=True,
    )


@click.command(name="build")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the XML files (created 0700 if missing).",
)
@schema_version_option("Default: from the config.")
@click.option(
    "--sheet",
    default=None,
    help="Workbook sheet to read (default: the sheet whose header matches; [build] sheet).",
)
@json_option("Print one JSON document on stdout.")
@pass_app
def build_command(
    app: AppContext,
    files: tuple[Path, ...],
    out_dir: Path,
    schema_version: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Turn certifier exports (CSV/XLSX) into CDC XML files, ready to deposit.

    Every bad row is listed (file:row: field: message); good rows are always written.
    Exit code 0 when every row was valid, 1 when some were rejected, 2 on unusable input.
    """
    from builders.flux.build import build

    config = app.config
    settings = config.build
    if sheet is not None:
        settings = settings.model_copy(update={"sheet": sheet})
    try:
        result = build(
            list(files),
            out_dir,
            settings=settings,
            declarant=config.declarant,
            data_dir=config.agent.data_dir,
            schema_version=schema_version,
        )
    except (BuildError, OSError) as exc:
        _fail(str(exc), as_json, EXIT_UNUSABLE)
        return
    if result.xsd is None:
        _no_xsd_warning(result.schema_version)
    if as_json:
        dump(_build_json(result))
    else:
        echo_lines(_build_lines(result))
    for failure in result.failures:
        error(failure.describe())
    if result.rejected or result.failures:
        exit_with(EXIT_REJECTED)


def _problem(problem: RowError | Notice) -> dict[str, Any]:
    return {
        "source": problem.source,
        "row": problem.row,
        "field": problem.field,
        "value": problem.value,
        "message": problem.message,
    }


def _build_json(result: BuildResult) -> dict[str, Any]:
    return {
        "schema_version": result.schema_version,
        "xsd": str(result.xsd) if result.xsd else None,
        "files": [_file_json(built) for built in result.files],
        "sources": [
            {
                "source": info.source,
                "sheet": info.sheet,
                "header_row": info.header_row,
                "hidden_rows": list(info.hidden),
                "columns": info.columns,
            }
            for info in result.sources
        ],
        "errors": [_problem(error) for error in result.errors],
        "warnings": [_problem(n) for n in result.notices] + [_problem(w) for w in result.warnings],
        "xsd_failures": [
            {
                "name": failure.name,
                "moved_to": str(failure.moved_to),
                "errors": [{"line": e.line, "message": e.message} for e in failure.errors],
            }
            for failure in result.failures
        ],
        "counts": {
            "valid": result.valid,
            "rejected": result.rejected,
            "skipped": result.skipped,
            "hidden": result.hidden,
            "passages": result.passages,
            "warnings": len(result.notices) + len(result.warnings),
        },
    }


def _build_lines(result: BuildResult) -> list[str]:
    lines = [f"read {info.source}: {info.where}" for info in result.sources if not info.usual]
    lines += [
        f"{n.source}:{n.row}: warning: {n.field + ': ' if n.field else ''}{n.message}"
        + (f" (header {n.value!r})" if n.value and n.value != n.field else "")
        for n in result.notices
    ]
    lines += [_wrote(built) for built in result.files]
    lines += [
        f"{e.source}:{e.row}: {e.field}: {e.message} (value {e.value!r})" for e in result.errors
    ]
    lines += [
        f"{w.source}:{w.row}: {w.field}: warning: {w.message} (value {w.value!r})"
        for w in result.warnings
    ]
    warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    hidden = f", {result.hidden} hidden in the spreadsheet" if result.hidden else ""
    lines.append(
        f"{result.valid} valid, {result.rejected} rejected, "
        f"{result.skipped} skipped as not admitted{hidden}{warned}"
    )
    return lines


def _fail(message: str, as_json: bool, code: int) -> None:
    if as_json:
        dump({"error": message, "files": [], "errors": [], "warnings": []})
    error(message)
    exit_with(code)


@click.command(name="check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@schema_version_option(
    "Imported XSD to use (default: the config's; one with cpf:action if the file has it)."
)
@json_option("Print the findings as JSON.")
@pass_app
def check_command(app: AppContext, file: Path, schema_version: str | None, as_json: bool) -> None:
    """Lint a flux XML file: well-formedness, the imported XSD, the built-in rules.

    Each finding carries its line number. Exit code 0 when no finding is an error (warnings
    alone keep 0), 1 otherwise.
    """
    from builders.cdc.check import check_flux, has_action
    from builders.cdc.schemas import get_schema

    config = app.config
    # a file with cpf:action is checked against a version that has it, whatever the default
    default = config.build.schema_version
    version = schema_version or (action_version(default) if has_action(file) else default)
    xsd = get_schema(config.agent.data_dir, version)
    if xsd is None:
        _no_xsd_warning(version)
    findings = check_flux(file, xsd=xsd)
    errors = sum(1 for finding in findings if finding.is_error)
    if as_json:
        document = {
            "file": str(file),
            "xsd": str(xsd) if xsd else None,
            "clean": errors == 0,
            "findings": [finding.as_dict() for finding in findings],
        }
        dump(document)
    else:
        for finding in findings:
            click.echo(f"{file}:{str(finding).removeprefix('line ')}")
        warnings = len(findings) - errors
        click.echo(f"{file}: {errors} error(s), {warnings} warning(s)")
    if errors:
        exit_with(EXIT_FAILED)


@click.command(name="template")
@click.argument(
    "path",
    required=False,
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--xlsx",
    "as_xlsx",
    is_flag=True,
    help="An Excel template: French labels under the CDC names, drop-down lists, date checks.",
)
def template_command(path: Path | None, force: bool, as_xlsx: bool) -> None:
    """Write a template with every canonical column and an example row (CSV, or --xlsx)."""
    from builders.exports.template import write_template
    from builders.exports.template_xlsx import write_template_xlsx

    if path is None:
        path = Path("modele-accrochage.xlsx" if as_xlsx else "modele-accrochage.csv")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists (use --force to overwrite)")
    (write_template_xlsx if as_xlsx else write_template)(path)
    click.echo(f"wrote {path}")


COMMANDS: list[click.Command] = [build_command, check_command, template_command]
