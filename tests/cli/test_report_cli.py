"""``accrochage report parse``: JSON contract, human output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.cli.report import COMMANDS, report_group

PIX = "report-pix-accuse-de-traitement-ok-ko-20231018.xml"
XSD_ERROR = "report-pix-accuse-de-traitement-erreur-xsd.xml"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["report", "parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_report_group_exported_and_registered() -> None:
    """The report group is exported for other modules and registered on the root CLI."""
    assert len(COMMANDS) == 1
    assert COMMANDS[0] is report_group
    assert isinstance(report_group, click.Group)
    assert report_group.name == "report"
    assert "parse" in report_group.commands
    assert cli.commands["report"] is report_group


def test_report_parse_json_contract(shared_cdc: Path) -> None:
    """--json prints the contract keys, passage by passage and key by key."""
    code, out, _ = _run(str(shared_cdc / PIX), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["nomFichier", "idFlux", "idTraitement", "passages", "errors"]
    assert data["nomFichier"] == "pix-cpf-export-20231016-223239.xml"
    assert data["idFlux"] == "4df76fd4-0915-46df-8c56-525506af35be"
    assert data["idTraitement"] == "67598"
    assert data["errors"] == []
    passages = data["passages"]
    assert [(p["idTechnique"], p["status"], p["class"]) for p in passages] == [
        ("1979262", "KO", "holder_not_found"),
        ("1996215", "KO", "holder_not_found"),
        ("1983189", "KO", "duplicate"),
        ("1968666", "OK", None),
        ("1964200", "OK", None),
    ]
    for passage in passages:
        assert list(passage) == ["idTechnique", "status", "message", "class", "hint"]
        if passage["status"] == "KO":
            assert passage["message"] and passage["hint"]
        else:
            assert passage["message"] is None and passage["hint"] is None
    assert passages[2]["message"].endswith("existe déjà en base")


def test_report_parse_json_rejected_file(shared_cdc: Path) -> None:
    """A rejected-file report gives errors with type, message, ligne, colonne and no passages."""
    code, out, _ = _run(str(shared_cdc / XSD_ERROR), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["idFlux"] is None
    assert data["idTraitement"] == "68548"
    assert data["passages"] == []
    assert len(data["errors"]) == 1
    error = data["errors"][0]
    assert list(error) == ["type", "message", "ligne", "colonne"]
    assert (error["type"], error["ligne"], error["colonne"]) == ("XSD", 1, 18)
    assert error["message"].startswith("Un espace est obligatoire")


def test_report_parse_json_id_demande(shared_cdc: Path) -> None:
    """The 2021 report's idDemande comes out as idTraitement."""
    code, out, _ = _run(
        str(shared_cdc / "report-official-2021-xsd-error-TRANSCRIBED.xml"), "--json"
    )
    assert code == 0
    assert json.loads(out)["idTraitement"] == "472"


def test_report_parse_human_processed(shared_cdc: Path) -> None:
    """Human output: a summary line, then one line per KO with class, message and hint."""
    code, out, _ = _run(str(shared_cdc / PIX))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "pix-cpf-export-20231016-223239.xml (idTraitement 67598): 2 OK / 3 KO"
    assert len(lines) == 4
    assert lines[1].startswith("  KO 1979262 [holder_not_found] Aucun titulaire")
    assert "birth name" in lines[1]
    assert lines[3].startswith("  KO 1983189 [duplicate] Le passage certification")
    assert "nothing to do" in lines[3]
    assert "1968666" not in out


def test_report_parse_human_rejected(shared_cdc: Path) -> None:
    """Human output of a rejected file: error count, then each error with line and column."""
    code, out, _ = _run(str(shared_cdc / XSD_ERROR))
    assert code == 0
    assert out.splitlines() == [
        "pix-cpf-export-20231016-223357_002.xml (idTraitement 68548): file rejected: 1 error",
        "  XSD at line 1, column 18: Un espace est obligatoire entre les données et la cible "
        "de l'instruction de traitement.",
    ]


def test_report_parse_human_without_nom_fichier(tmp_path: Path) -> None:
    """A report without nomFichier or idTraitement is named after the file, with '?'."""
    path = tmp_path / "bare.xml"
    path.write_bytes(b"<rapport><PassagesOK><idTechnique>A1</idTechnique></PassagesOK></rapport>")
    code, out, _ = _run(str(path))
    assert code == 0
    assert out.splitlines() == ["bare.xml (idTraitement ?): 1 OK / 0 KO"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<!DOCTYPE rapport [<!ENTITY x 'y'>]><rapport/>", "never has a DOCTYPE"),
        (b"Nom;Prenom\n", "not an XML document"),
        (b"<flux/>", "root element is <flux>, not <rapport>"),
        (b"", "empty file"),
    ],
)
def test_report_parse_refused_exit_1(tmp_path: Path, content: bytes, expected: str) -> None:
    """A refused file exits 1 with 'Error: <file>: <reason>' on stderr and nothing on stdout."""
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    code, out, err = _run(str(path), "--json")
    assert code == 1
    assert out == ""
    assert err.startswith(f"Error: {path}: ")
    assert expected in err
    assert "Traceback" not in err


def test_report_parse_missing_file_exit_1(tmp_path: Path) -> None:
    """A missing file exits 1 with a clear message."""
    code, _, err = _run(str(tmp_path / "absent.xml"))
    assert code == 1
    assert "cannot read the report" in err
