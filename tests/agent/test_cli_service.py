"""The operator commands through CliRunner: status, rejects, log, report import, deposit now."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.cli import service as cli_service
from agent.config import load_config
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.lock import WORK, instance_lock
from builders.cdc.messages import SEVERAL_HOLDERS
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, report_xml, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def invoke(config_path: Path, *args: str) -> tuple[int, str]:
    """Run the CLI; returns (exit code, stdout)."""
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args])
    return result.exit_code, result.output


def _deposited(config_path: Path, fake: FakePortal) -> str:
    config = load_config(config_path)
    write_export(inbox(config) / "a.csv", [row("A1"), row("B2")])
    summary = run_deposit(
        RunContext.create(config, progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(),
    )
    return summary.built[0]


def test_cli_deposit_now_json_with_fake_portal(
    config_path: Path, fake: FakePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deposit now --json prints the run summary; progress goes to stderr."""
    monkeypatch.setattr(
        cli_service, "default_portal_factory", lambda _config, _guard, _paths: factory(fake)
    )
    write_export(inbox(load_config(config_path)) / "a.csv", [row("A1"), row("B2", sexe="?")])
    result = CliRunner().invoke(cli, ["--config", str(config_path), "deposit", "now", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] and summary["uploaded"] == fake.uploads
    assert summary["imported"][0]["invalid"] == 1


def test_cli_deposit_now_locked_exits_3(config_path: Path) -> None:
    """deposit now while another run holds the lock says so and exits 3."""
    with instance_lock(load_config(config_path).agent.data_dir, WORK):
        result = CliRunner().invoke(cli, ["--config", str(config_path), "deposit", "now"])
    assert result.exit_code == 3
    assert "already running" in result.output


def test_cli_status_and_batch_detail(config_path: Path, fake: FakePortal) -> None:
    """status lists batches and counts; status BATCH shows attempts, documents and events."""
    name = _deposited(config_path, fake)
    code, out = invoke(config_path, "status", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["passages"] == {"deposited": 2}
    assert [(i["name"], i["valid"], i["invalid"]) for i in data["imports"]] == [("a.csv", 2, 0)]
    assert [b["name"] for b in data["batches"]] == [name]
    code, out = invoke(config_path, "status", name.removesuffix(".xml"), "--json")
    detail = json.loads(out)
    assert [a["kind"] for a in detail["attempts"]] == ["deposit", "fetch_accuse_reception"]
    assert [d["kind"] for d in detail["documents"]] == ["accuse_reception"]
    code, out = invoke(config_path, "status")
    assert code == 0 and f"{name}  uploaded  2 passages" in out
    code, out = invoke(config_path, "status", "nope")
    assert code == 1 and "no batch named 'nope'" in out


def test_cli_report_import_then_rejects(
    config_path: Path, fake: FakePortal, tmp_path: Path
) -> None:
    """A report downloaded by hand is applied; rejects lists and exports the KO passage."""
    name = _deposited(config_path, fake)
    report = tmp_path / f"Accusé de traitement_{name}_20260305.xml"
    report.write_bytes(report_xml(name, ok=["A1"], ko={"B2": SEVERAL_HOLDERS}))
    code, out = invoke(config_path, "report", "import", str(report), "--json")
    assert code == 0, out
    assert json.loads(out)["status"] == "partly_rejected"
    out_csv = tmp_path / "rejects.csv"
    code, out = invoke(config_path, "rejects", "--csv", str(out_csv))
    assert code == 0 and "B2" in out and "several_holders" in out
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        [line] = list(csv.DictReader(handle, delimiter=";"))
    assert (line["idTechnique"], line["cdcMessage"], line["admis"]) == (
        "B2",
        SEVERAL_HOLDERS,
        "true",
    )
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", line["dateDebutValidite"])  # as Excel shows dates
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbfidClientEmetteur;")
    assert out_csv.stat().st_mode & 0o077 == 0
    code, out = invoke(config_path, "log", "--json")
    assert "report_imported" in [e["kind"] for e in json.loads(out)]
    # The same report again changes nothing.
    code, out = invoke(config_path, "report", "import", str(report))
    assert code == 0 and "1 accepted, 1 rejected" in out


def test_cli_report_import_unknown_file(
    config_path: Path, fake: FakePortal, tmp_path: Path
) -> None:
    """A report for a file this agent never built is refused with its name."""
    _deposited(config_path, fake)
    report = tmp_path / "r.xml"
    report.write_bytes(report_xml("other.xml", ok=["A1"]))
    code, out = invoke(config_path, "report", "import", str(report))
    assert code == 1 and "no batch named 'other.xml'" in out


def test_cli_withdraw_only_open_passages(config_path: Path, fake: FakePortal) -> None:
    """A pending passage can be withdrawn (never deposited); a deposited one cannot."""
    config = load_config(config_path)
    _deposited(config_path, fake)
    write_export(inbox(config) / "b.csv", [row("C3")])
    from agent.inbox import import_inbox
    from agent.paths import AgentPaths
    from agent.store import Store

    with Store.open(AgentPaths.from_config(config).db) as store:
        import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None))
    code, out = invoke(config_path, "withdraw", "C3", "--json")
    assert code == 0 and json.loads(out) == {"withdrawn": ["C3"]}
    code, out = invoke(config_path, "withdraw", "A1")
    assert code == 1 and "from deposited to withdrawn" in out
    code, out = invoke(config_path, "withdraw", "ZZ")
    assert code == 1 and "ZZ: no passage" in out
    code, out = invoke(config_path, "status", "--json")
    assert json.loads(out)["passages"] == {"deposited": 2, "withdrawn": 1}
