"""INSEE's geographic code: `cog import`, then birth communes checked at import."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from builders.errors import BuildError
from builders.exports.cog import cog_path, import_cog
from builders.exports.importer import import_file
from builders.settings import BuildSettings

from .helpers import DECLARANT, base_row, write_csv

#: A few lines in the format of INSEE's v_commune_depuis_1943.csv (written for the tests).
COG = """COM,TNCC,NCC,NCCENR,LIBELLE,DATE_DEBUT,DATE_FIN
01053,1,BOURG EN BRESSE,Bourg-en-Bresse,Bourg-en-Bresse,,
69123,0,LYON,Lyon,Lyon,,
69383,0,LYON 3E ARRONDISSEMENT,Lyon 3e Arrondissement,Lyon 3e Arrondissement,1964-08-12,
50041,0,BEUVRIGNY,Beuvrigny,Beuvrigny,,1972-12-31
50041,0,TESSY BOCAGE,Tessy-Bocage,Tessy-Bocage,1973-01-01,1989-12-31
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with the test COG imported."""
    source = tmp_path / "v_commune_depuis_1943.csv"
    source.write_text(COG, encoding="utf-8")
    imported = import_cog(source, tmp_path / "data")
    assert (imported.codes, imported.periods) == (4, 5)
    assert imported.path == cog_path(tmp_path / "data")
    assert imported.path.stat().st_mode & 0o077 == 0
    return tmp_path / "data"


def _import(tmp_path: Path, data_dir: Path | None, **changes: str) -> list:
    path = write_csv(tmp_path / "export.csv", [base_row(**changes)])
    return list(
        import_file(
            path,
            declarant=DECLARANT,
            settings=BuildSettings(),
            today=dt.date(2024, 7, 1),
            data_dir=data_dir,
        )
    )


@pytest.mark.parametrize(
    ("changes", "errors", "warnings"),
    [
        ({"codeInsee": "69123", "libelleCommuneNaissance": "Lyon"}, [], []),
        ({"codeInsee": "69383", "libelleCommuneNaissance": "Lyon"}, [], []),
        ({"codeInsee": "1053", "libelleCommuneNaissance": "Bourg en Bresse"}, [], []),
        (
            {"codeInsee": "69123", "libelleCommuneNaissance": "Villeurbanne"},
            [],
            ["libelleCommuneNaissance"],
        ),
        ({"codeInsee": "69999", "libelleCommuneNaissance": "Lyon"}, ["codeInsee"], []),
        (
            {"codeInsee": "69383", "anneeNaissance": "1960", "libelleCommuneNaissance": "Lyon"},
            ["codeInsee"],
            [],
        ),
        (
            {
                "codeInsee": "50041",
                "anneeNaissance": "1960",
                "libelleCommuneNaissance": "Beuvrigny",
            },
            [],
            [],
        ),
        (
            {
                "codeInsee": "50041",
                "anneeNaissance": "1990",
                "libelleCommuneNaissance": "Beuvrigny",
            },
            ["codeInsee"],
            [],
        ),
    ],
)
def test_birth_commune_checked_against_the_cog(
    tmp_path: Path, data_dir: Path, changes: dict[str, str], errors: list[str], warnings: list[str]
) -> None:
    """Unknown codes and codes that did not exist at birth are errors; a wrong name warns."""
    [result] = _import(tmp_path, data_dir, **changes)
    assert [e.field for e in result.errors] == errors, result.errors
    assert [w.field for w in result.warnings if w.field != "dateDebutValidite"] == warnings


def test_code_that_did_not_exist_names_its_periods(tmp_path: Path, data_dir: Path) -> None:
    """The message says when the code existed, under which names."""
    [result] = _import(tmp_path, data_dir, codeInsee="50041", anneeNaissance="1995")
    assert result.errors[0].message == (
        "this commune code did not exist at the birth date (Beuvrigny: before 1943 to "
        "31/12/1972; Tessy-Bocage: from 01/01/1973 to 31/12/1989)"
    )


def test_without_cog_nothing_is_checked(tmp_path: Path) -> None:
    """No imported file: an unknown code is not an error."""
    [result] = _import(tmp_path, tmp_path / "nothing", codeInsee="69999")
    assert result.errors == ()


def test_cog_import_refuses_another_file(tmp_path: Path) -> None:
    """A CSV without the COG columns is refused, naming what is missing."""
    source = tmp_path / "communes.csv"
    source.write_text("code;nom\n69123;Lyon\n", encoding="utf-8")
    with pytest.raises(BuildError, match="no column COM, LIBELLE, DATE_DEBUT, DATE_FIN"):
        import_cog(source, tmp_path / "data")


def test_cli_cog_import_then_build_refuses_unknown_commune(tmp_path: Path) -> None:
    """`accrochage cog import FILE`, then build reports an unknown commune code."""
    config = tmp_path / "accrochage.toml"
    config.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    source = tmp_path / "v_commune_depuis_1943.csv"
    source.write_text(COG, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "cog", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported 4 commune codes (5 periods) as ")
    export = write_csv(tmp_path / "export.csv", [base_row(codeInsee="69999")])
    result = runner.invoke(
        cli,
        ["--config", str(config), "build", str(export), "--out", str(tmp_path / "out"), "--json"],
    )
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert (error["field"], error["value"]) == ("codeInsee", "69999")
