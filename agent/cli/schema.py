"""``accrochage schema import|list`` and ``accrochage cog import``: the reference files
imported into the data directory (the official XSDs, INSEE's geographic code)."""

from __future__ import annotations

from pathlib import Path

import click

from agent.cli.app import AppContext, pass_app
from builders.errors import BuildError


@click.group(name="schema")
def schema_group() -> None:
    """Manage the official CDC XSDs every built file is validated against."""


@schema_group.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def schema_import(app: AppContext, path: Path) -> None:
    """Import the official XSD (.xsd, or the official kit .zip holding it)."""
    from builders.cdc.schemas import import_schema

    imported = import_schema(path, app.config.agent.data_dir)
    verb = "replaced" if imported.replaced else "imported"
    click.echo(
        f"{verb} XSD version {imported.version} (sha256 {imported.sha256}) as {imported.path}"
    )


@schema_group.command(name="list")
@pass_app
def schema_list(app: AppContext) -> None:
    """List the imported XSDs."""
    from builders.cdc.schemas import list_schemas

    found = list_schemas(app.config.agent.data_dir)
    for schema in found:
        click.echo(f"{schema.version}  sha256 {schema.sha256}  {schema.path}")
    if not found:
        click.echo("no XSD imported yet (run `accrochage schema import <kit .zip or .xsd>`)")


@click.group(name="cog")
def cog_group() -> None:
    """INSEE's geographic code: birth communes checked against it at import."""


@cog_group.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def cog_import(app: AppContext, path: Path) -> None:
    """Import INSEE's "communes depuis 1943" CSV (v_commune_depuis_1943.csv)."""
    from builders.exports.cog import import_cog

    try:
        imported = import_cog(path, app.config.agent.data_dir)
    except (BuildError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"imported {imported.codes} commune codes ({imported.periods} periods) as {imported.path}: "
        "birth communes are now checked against them"
    )


COMMANDS: list[click.Command] = [schema_group, cog_group]
