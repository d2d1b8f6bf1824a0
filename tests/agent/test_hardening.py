"""Issue 11, agent side: CSV injection, report quarantine, independent collection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from agent.cli import cli
from agent.config import load_config
from agent.deposit import RunOptions, run_deposit
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, report_xml, row, write_export
from tests.agent.test_cli_service import invoke

FORMULA = '=HYPERLINK("http://evil.example/","click")'


def _run(config_path: Path, fake: FakePortal, rows: list[dict[str, str]], name: str) -> list[str]:
    config = load_config(config_path)
    write_export(inbox(config) / name, rows)
    summary = run_deposit(
        config, portal_factory=factory(fake), options=RunOptions(), progress=lambda _l: None
    )
    return summary.built


def test_rejects_csv_neutralises_formulas_and_reimports(
    config_path: Path, fake: FakePortal, tmp_path: Path
) -> None:
    """A CDC message and a cell starting a formula are written '-prefixed; re-import restores."""
    [name] = _run(config_path, fake, [row("-A1"), row("B2", prenom1="@lice")], "a.csv")
    report = tmp_path / "report.xml"
    report.write_bytes(report_xml(name, ok=[], ko={"-A1": FORMULA, "B2": "+1 cmd"}))
    code, out = invoke(config_path, "report", "import", str(report))
    assert code == 0, out
    out_csv = tmp_path / "rejects.csv"
    code, out = invoke(config_path, "rejects", "--csv", str(out_csv))
    assert code == 0, out
    with out_csv.open(encoding="utf-8", newline="") as handle:
        lines = {line["idTechnique"]: line for line in csv.DictReader(handle, delimiter=";")}
    assert set(lines) == {"'-A1", "B2"}
    assert lines["'-A1"]["cdcMessage"] == "'" + FORMULA
    assert lines["B2"]["prenom1"] == "'@lice"
    assert lines["B2"]["cdcMessage"] == "'+1 cmd"
    for line in lines.values():
        for cell in line.values():
            assert not cell or cell[0] not in "=+-@\t\r"
    # Corrected and re-imported: the prefix is gone, the passages are the same ones.
    lines["B2"]["nomNaissance"] = "Durandal"
    lines["'-A1"]["nomNaissance"] = "Durandal"
    fixed = inbox(load_config(config_path)) / "fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines["B2"]), delimiter=";")
        writer.writeheader()
        writer.writerows(lines.values())
    run_deposit(
        load_config(config_path),
        portal_factory=factory(fake),
        options=RunOptions(),
        progress=lambda _l: None,
    )
    code, out = invoke(config_path, "status", "--json")
    assert json.loads(out)["passages"] == {"deposited": 2}, out
    result = CliRunner().invoke(cli, ["--config", str(config_path), "log", "--json"])
    assert "reopened" in [e["kind"] for e in json.loads(result.stdout)]
