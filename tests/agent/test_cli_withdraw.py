"""withdraw (--at-cdc), correct and redeclare through CliRunner, then status, rejects, log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.config import load_config
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from portal.base import DepositState
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, report_xml, row, write_export
from tests.agent.test_cli_service import invoke
from tests.agent.test_withdrawal import UNKNOWN


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config file whose data directory is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    return path


def _run(config_path: Path, fake: FakePortal) -> list[str]:
    summary = run_deposit(
        RunContext.create(load_config(config_path), progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(),
    )
    assert summary.ok, summary.errors
    return summary.built


def _accepted(config_path: Path, fake: FakePortal) -> None:
    write_export(inbox(load_config(config_path)) / "a.csv", [row("A1"), row("B2")])
    [name] = _run(config_path, fake)
    fake.process(name, report_xml(name, ok=["A1", "B2"]))
    _run(config_path, fake)


def test_cli_withdraw_accepted_points_to_at_cdc(config_path: Path, fake: FakePortal) -> None:
    """Plain withdraw of an accepted passage refuses and names --at-cdc; --reason needs it."""
    _accepted(config_path, fake)
    code, out = invoke(config_path, "withdraw", "A1")
    assert code == 1
    assert "cannot go from accepted to withdrawn" in out
    assert "accrochage withdraw --at-cdc A1" in out
    code, out = invoke(config_path, "withdraw", "A1", "--reason", "x")
    assert code == 2 and "--reason goes with --at-cdc" in out


def test_cli_withdraw_at_cdc_ok_and_status(config_path: Path, fake: FakePortal) -> None:
    """withdraw --at-cdc: queued, deposited by the next run; OK -> status and log show it."""
    _accepted(config_path, fake)
    code, out = invoke(config_path, "withdraw", "A1", "--at-cdc", "--reason", "revoked")
    assert code == 0, out
    assert "withdrawal at the CDC requested for A1" in out and "deposit now" in out
    [name] = _run(config_path, fake)
    code, out = invoke(config_path, "status")
    assert f"{name}  uploaded  SUPPRESSION of 1 passages" in out
    assert "A1  SUPPRESSION under way" in out and "reason: revoked" in out
    fake.process(name, report_xml(name, ok=["A1"]))
    _run(config_path, fake)
    code, out = invoke(config_path, "status")
    assert "A1  withdrawn at the CDC  " in out
    assert "(withdrawn 1, refused 0)" in out
    code, out = invoke(config_path, "log")
    assert "A1: withdrawn at the CDC" in out
    code, out = invoke(config_path, "redeclare", "A1")
    assert code == 0 and "back to pending: A1" in out
    [again] = _run(config_path, fake)
    assert b"<cpf:action>CREATION</cpf:action>" in fake.uploaded_content(again)


def test_cli_withdraw_at_cdc_refused_in_rejects(config_path: Path, fake: FakePortal) -> None:
    """A KO SUPPRESSION: rejects shows the CDC's message and what to do."""
    _accepted(config_path, fake)
    invoke(config_path, "withdraw", "A1", "--at-cdc")
    [name] = _run(config_path, fake)
    fake.process(name, report_xml(name, ko={"A1": UNKNOWN}), DepositState.PROCESSED_WITH_ERRORS)
    _run(config_path, fake)
    code, out = invoke(config_path, "rejects")
    assert code == 0
    assert "[withdrawal] (withdrawal refused)" in out
    assert f"CDC: {UNKNOWN}" in out
    assert "`accrochage withdraw ID` records it as withdrawn here only" in out
    code, out = invoke(config_path, "status")
    assert "A1  SUPPRESSION refused by the CDC" in out


def test_cli_correct_and_112(config_path: Path, fake: FakePortal) -> None:
    """correct sends a held correction; with schema 1.1.2 both commands say what to do."""
    _accepted(config_path, fake)
    config = load_config(config_path)
    write_export(inbox(config) / "b.csv", [row("A1", prenom1="Anne")])
    _run(config_path, fake)
    code, out = invoke(config_path, "status")
    assert "Corrections held (1)" in out and "A1  accepted on " in out and "prenom1" in out
    old = config_path.with_name("old.toml")
    old.write_text(
        '[agent]\ndata_dir = "data"\n[build]\nschema_version = "1.1.2"\n', encoding="utf-8"
    )
    for command in (["correct", "A1"], ["withdraw", "--at-cdc", "A1"]):
        code, out = invoke(old, *command)
        assert code == 1 and "SUPPRESSION does not exist in schema 1.1.2" in out
        assert 'schema_version = "1.1.5"' in out
    code, out = invoke(config_path, "correct", "A1", "--json")
    assert code == 0 and json.loads(out) == {"correcting": ["A1"]}
    [name] = _run(config_path, fake)
    assert b"SUPPRESSION" in fake.uploaded_content(name)
