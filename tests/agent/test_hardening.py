"""Issue 11, agent side: CSV injection, report quarantine, independent collection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.config import load_config
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.store import DB_NAME, Store
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, report_xml, row, write_export
from tests.agent.test_cli_service import invoke

FORMULA = '=HYPERLINK("http://evil.example/","click")'


def _run(config_path: Path, fake: FakePortal, rows: list[dict[str, str]], name: str) -> list[str]:
    config = load_config(config_path)
    write_export(inbox(config) / name, rows)
    summary = run_deposit(
        RunContext.create(config, progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(),
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
        RunContext.create(load_config(config_path), progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(),
    )
    code, out = invoke(config_path, "status", "--json")
    assert json.loads(out)["passages"] == {"deposited": 2}, out
    result = CliRunner().invoke(cli, ["--config", str(config_path), "log", "--json"])
    assert "reopened" in [e["kind"] for e in json.loads(result.stdout)]


def _one_per_batch(config_path: Path) -> Path:
    """The config with one passage per file, so each row is its own batch."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text + "[build]\nmax_passages_per_file = 1\n", encoding="utf-8")
    return config_path


def _again(config_path: Path, fake: FakePortal) -> list[str]:
    summary = run_deposit(
        RunContext.create(load_config(config_path), progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(collect_only=True),
    )
    return summary.errors


def _batches(config_path: Path) -> dict[str, tuple[str, str]]:
    _code, out = invoke(config_path, "status", "--json")
    return {b["name"]: (b["status"], b.get("message") or "") for b in json.loads(out)["batches"]}


BAD_REPORTS = {
    "other_file": (
        lambda _name, ids, flux: report_xml("someone-else.xml", ok=ids, id_flux=flux),
        "nomFichier is 'someone-else.xml'",
    ),
    "other_flux": (
        lambda name, ids, _flux: report_xml(name, ok=ids, id_flux="0000-other"),
        "idFlux is '0000-other'",
    ),
    "stranger_id": (
        lambda name, ids, flux: report_xml(name, ok=[*ids, "NOT-MINE"], id_flux=flux),
        "idTechnique(s) the file does not hold: 'NOT-MINE'",
    ),
    "ok_and_ko": (
        lambda name, ids, flux: report_xml(name, ok=ids, ko={ids[0]: "x"}, id_flux=flux),
        "both OK and KO",
    ),
    "not_xml": (lambda _n, _i, _f: b"%PDF-1.4 not a report", "not an XML document"),
    "doctype": (
        lambda _n, _i, _f: b'<!DOCTYPE r [<!ENTITY a "b">]><rapport/>',
        "DOCTYPE",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REPORTS))
def test_bad_report_is_quarantined_and_holds_only_its_batch(
    config_path: Path, fake: FakePortal, case: str
) -> None:
    """A report that is not the batch's is never applied; the other batch is processed."""
    _one_per_batch(config_path)
    first, second = _run(config_path, fake, [row("Q1"), row("Q2")], "a.csv")
    store_flux = {name: _flux(config_path, name) for name in (first, second)}
    make, expected = BAD_REPORTS[case]
    fake.process(first, make(first, ["Q1"], store_flux[first]))
    fake.process(second, report_xml(second, ok=["Q2"], id_flux=store_flux[second]))
    errors = _again(config_path, fake)
    batches = _batches(config_path)
    assert batches[second][0] == "accepted"
    assert batches[first][0] == "report_quarantined"
    assert expected in batches[first][1]
    assert any("quarantined" in e and expected in e for e in errors), errors
    _code, out = invoke(config_path, "status", "--json")
    assert json.loads(out)["passages"] == {"accepted": 1, "deposited": 1}
    _code, out = invoke(config_path, "log", "--json")
    assert [e["kind"] for e in json.loads(out)].count("report_quarantined") == 1
    # Never fetched again, never applied later.
    fetches = [c for c in fake.calls if c == ("fetch_document", f"{first}:accuse_traitement")]
    assert len(fetches) == 1
    assert _again(config_path, fake) == []
    assert [c for c in fake.calls if c[1] == f"{first}:accuse_traitement"] == fetches


def _flux(config_path: Path, name: str) -> str:
    with Store.open(load_config(config_path).agent.data_dir / DB_NAME) as store:
        batch = store.batch_by_name(name)
    assert batch is not None
    return batch.id_flux


def test_quarantined_batch_settled_by_the_right_report(
    config_path: Path, fake: FakePortal, tmp_path: Path
) -> None:
    """report import of the right report settles a quarantined batch; a wrong one is refused."""
    [name] = _run(config_path, fake, [row("R1")], "a.csv")
    flux = _flux(config_path, name)
    fake.process(name, report_xml("other.xml", ok=["R1"], id_flux=flux))
    _again(config_path, fake)
    assert _batches(config_path)[name][0] == "report_quarantined"
    wrong = tmp_path / "wrong.xml"
    wrong.write_bytes(report_xml(name, ok=["R1", "R9"], id_flux=flux))
    code, out = invoke(config_path, "report", "import", str(wrong))
    assert code == 1
    assert "does not hold: 'R9'" in out
    right = tmp_path / "right.xml"
    right.write_bytes(report_xml(name, ok=["R1"], id_flux=flux))
    code, out = invoke(config_path, "report", "import", str(right))
    assert code == 0, out
    assert _batches(config_path)[name][0] == "accepted"


def test_unknown_status_label_waits_for_its_batch_only(config_path: Path, fake: FakePortal) -> None:
    """An unknown label on our row holds that batch with one event; others are processed."""
    _one_per_batch(config_path)
    first, second = _run(config_path, fake, [row("U1"), row("U2")], "a.csv")
    fake.set_status_label(first, "Archivé")
    fake.process(second, report_xml(second, ok=["U2"], id_flux=_flux(config_path, second)))
    errors = _again(config_path, fake)
    assert any("'Archivé'" in e and "[portal.profile.status_labels]" in e for e in errors)
    _again(config_path, fake)
    batches = _batches(config_path)
    assert (batches[first][0], batches[second][0]) == ("uploaded", "accepted")
    _code, out = invoke(config_path, "log", "--json")
    assert [e["kind"] for e in json.loads(out)].count("unknown_status_label") == 1
