"""CLI contract of build, check, template and schema import (through click's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from tests.unit.builders_input.helpers import base_row
from tests.unit.builders_input.helpers import write_csv as write_rows
from tests.unit.builders_output.conftest import write_csv


@pytest.fixture
def xsd115(shared_cdc: Path) -> Path:
    """The official 1.1.5 XSD."""
    return shared_cdc / "cdc-certifications-1.1.5.xsd"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose data dir is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    return path


def _run(config: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_build_cli_all_valid_exit_0_and_warns_without_xsd(config, tmp_path):
    """Every row valid: exit 0, files and counts printed, one-line warning without an XSD."""
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}, {"idTechnique": "R2"}])
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("wrote accrochage-12ABC345-") and ": 2 passages, " in lines[0]
    # The example rows were awarded on 28/06/2024: declaring them now is late (a warning).
    assert lines[1:-1] == [
        f"{export}:{row}: dateDebutValidite: warning: late declaration: the 3-month deadline "
        "after the certification date passed on 28/09/2024 (value '28/06/2024')"
        for row in (2, 3)
    ]
    assert lines[-1] == "2 valid, 0 rejected, 0 skipped as not admitted, 2 warning(s)"
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and "only the built-in rules were applied" in warning[0]


def test_build_cli_rejected_rows_exit_1_with_row_lines(config, tmp_path):
    """A bad row: exit 1, the row reported as file:row: field: message (value 'x')."""
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}, {"sexe": "Z"}])
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{export}:3: sexe: " in result.stdout
    assert "(value 'Z')" in result.stdout
    assert "1 valid, 1 rejected, 0 skipped as not admitted" in result.stdout
    assert len(list((tmp_path / "out").glob("*.xml"))) == 1


def test_build_cli_json_document_shape(config, tmp_path, xsd115):
    """--json prints one document with files, errors (row, field, value, message, source)."""
    assert _run(config, "schema", "import", str(xsd115)).exit_code == 0
    export = write_csv(
        tmp_path / "export.csv",
        [{"idTechnique": "R1"}, {"idTechnique": "R2", "dateDebutValidite": "31/02/2024"}],
    )
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["xsd"].endswith("schemas/1.1.5/certifications-cdc.xsd")
    assert [f["passages"] for f in document["files"]] == [1]
    assert Path(document["files"][0]["path"]).is_file()
    assert set(document["files"][0]) >= {"name", "size", "sha256", "id_flux", "schema_version"}
    (error,) = document["errors"]
    assert error == {
        "source": str(export),
        "row": 3,
        "field": "dateDebutValidite",
        "value": "31/02/2024",
        "message": error["message"],
    }
    assert error["message"]
    assert document["counts"] == {
        "valid": 1,
        "rejected": 1,
        "skipped": 0,
        "hidden": 0,
        "passages": 1,
        "warnings": 1,
    }
    assert [(w["row"], w["field"], w["value"]) for w in document["warnings"]] == [
        (2, "dateDebutValidite", "28/06/2024")
    ]
    assert result.stderr == ""


def test_build_cli_unusable_input_exit_2(config, tmp_path):
    """A file with no known column is unusable: exit 2 with an Error line (and JSON error)."""
    bad = tmp_path / "bad.csv"
    bad.write_text("foo;bar\n1;2\n", encoding="utf-8")
    result = _run(config, "build", str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "bad.csv" in result.stderr
    result = _run(config, "build", str(bad), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["files"] == []
    missing = _run(config, "build", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"))
    assert missing.exit_code == 2


def test_build_cli_schema_version_112(config, tmp_path):
    """--schema-version 1.1.2 builds files without the action element."""
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}])
    out = tmp_path / "out"
    result = _run(config, "build", str(export), "--out", str(out), "--schema-version", "1.1.2")
    assert result.exit_code == 0
    (built,) = out.glob("*.xml")
    assert b"<cpf:action>" not in built.read_bytes()


def test_check_cli_exit_codes_and_json(config, tmp_path, xsd115):
    """check: 0 on a built file, 1 with line-numbered findings on a broken one."""
    assert _run(config, "schema", "import", str(xsd115)).exit_code == 0
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}])
    assert _run(config, "build", str(export), "--out", str(tmp_path / "out")).exit_code == 0
    (built,) = (tmp_path / "out").glob("*.xml")
    clean = _run(config, "check", str(built))
    assert clean.exit_code == 0 and clean.stdout.strip().endswith("0 error(s), 0 warning(s)")
    broken = tmp_path / "broken.xml"
    broken.write_text(
        built.read_text(encoding="utf-8").replace("<cpf:sexe>F<", "<cpf:sexe>Q<"),
        encoding="utf-8",
    )
    result = _run(config, "check", str(broken))
    assert result.exit_code == 1
    assert any(
        line.startswith(f"{broken}:") and "[xsd]" in line for line in result.stdout.splitlines()
    )
    result = _run(config, "check", str(broken), "--json")
    document = json.loads(result.stdout)
    assert document["clean"] is False
    assert {f["source"] for f in document["findings"]} == {"xsd", "rules"}
    assert all(f["line"] > 0 for f in document["findings"])


def test_template_cli_writes_and_refuses_overwrite(config, tmp_path):
    """template writes the CSV template, then refuses to overwrite without --force."""
    target = tmp_path / "modele.csv"
    assert _run(config, "template", str(target)).exit_code == 0
    assert "idTechnique" in target.read_text(encoding="utf-8-sig").splitlines()[0]
    again = _run(config, "template", str(target))
    assert again.exit_code == 1 and "--force" in again.stderr
    assert _run(config, "template", str(target), "--force").exit_code == 0


def test_schema_import_cli_reports_version_and_refuses_non_xsd(config, tmp_path, shared_cdc):
    """schema import prints the version and hash; a non-XSD file is a clean error."""
    result = _run(config, "schema", "import", str(shared_cdc / "cdc-certifications-1.1.2.xsd"))
    assert result.exit_code == 0
    assert result.stdout.startswith("imported XSD version 1.1.2 (sha256 ")
    listed = _run(config, "schema", "list")
    assert listed.stdout.startswith("1.1.2  sha256 ")
    refused = _run(config, "schema", "import", str(shared_cdc / "cdc-example-1.1.5-CREATION.xml"))
    assert refused.exit_code == 1 and "not an XSD" in refused.stderr


def test_build_cli_xsd_failure_exit_1_and_listed(config, tmp_path, xsd115):
    """A file failing the imported XSD: exit 1, listed under xsd_failures with its lines."""
    from tests.unit.builders_output.conftest import strict_xsd

    assert _run(config, "schema", "import", str(strict_xsd(xsd115, tmp_path))).exit_code == 0
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}])
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["files"] == [] and document["errors"] == []
    (failure,) = document["xsd_failures"]
    assert failure["moved_to"].endswith(".xml.invalid")
    assert failure["errors"][0]["line"] > 0
    assert "fails the imported XSD" in result.stderr


def test_check_cli_uses_115_for_a_file_with_action(tmp_path, shared_cdc, xsd115):
    """A SUPPRESSION file is checked against 1.1.5 even when the config targets 1.1.2."""
    config = tmp_path / "accrochage.toml"
    config.write_text('[agent]\ndata_dir = "data"\n[build]\nschema_version = "1.1.2"\n')
    assert _run(config, "schema", "import", str(xsd115)).exit_code == 0
    result = _run(config, "check", str(shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_build_cli_says_where_it_read_and_prints_warnings(config, tmp_path):
    """A table below a title on a second sheet: `read` line, warnings, hidden count."""
    from openpyxl import Workbook

    from tests.unit.builders_input.helpers import base_row

    row = base_row()
    workbook = Workbook()
    workbook.active.append(["Mode d'emploi"])
    sheet = workbook.create_sheet("Jury")
    sheet.append(["Session de juin 2024"])
    sheet.append([*row, "Remarques"])
    sheet.append([*row.values(), "RAS"])
    sheet.append([*base_row(idTechnique="2").values(), ""])
    sheet.row_dimensions[4].hidden = True
    export = tmp_path / "jury.xlsx"
    workbook.save(export)
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"read {export}: sheet 'Jury' (of 2), header on row 2"
    assert (
        lines[1].startswith(f"{export}:2: warning: columns ignored") and "'Remarques'" in lines[1]
    )
    assert lines[2].startswith(f"{export}:4: warning: 1 hidden row(s)")
    # (the rows' own warnings, such as a late declaration, are counted after it)
    assert lines[-1].startswith(
        "2 valid, 0 rejected, 0 skipped as not admitted, 1 hidden in the spreadsheet"
    )
    result = _run(config, "build", str(export), "--out", str(tmp_path / "o2"), "--sheet", "Nope")
    assert result.exit_code == 2
    assert "no sheet named 'Nope' (the sheets are 'Sheet', 'Jury')" in result.stderr


def test_build_cli_prints_check_warnings_and_plausibility(config, tmp_path):
    """build warns like check (voieAccessVAE without VAE) and refuses implausible rows."""
    export = write_rows(
        tmp_path / "export.csv",
        [
            base_row(idTechnique="V1", voieAccessVAE="VAE_CLASSIQUE", codeInsee="75015"),
            base_row(idTechnique="F1", dateDebutValidite="28/06/2099"),
            base_row(idTechnique="Y1", anneeNaissance="2020"),
        ],
    )
    result = _run(config, "build", str(export), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    warned = {(w["row"], w["field"]) for w in document["warnings"]}
    assert {(2, "voieAccessVAE"), (2, "codeInsee")} <= warned
    errors = {(e["row"], e["field"]): e["message"] for e in document["errors"]}
    assert errors[(3, "dateDebutValidite")].startswith("in the future (today is ")
    assert errors[(4, "anneeNaissance")].startswith("the holder would be 4 at the certification")
    assert document["counts"]["valid"] == 1
