"""Withdrawals and corrections end to end: real subprocesses, real Chromium, the replica.

The replica deletes the passages a SUPPRESSION names (KO when it does not hold one), so these
tests check on the replica itself what the CDC holds and in which order files arrived.
"""

from __future__ import annotations

from collections import Counter

import pytest

from agent.testhooks import EXIT_STATUS
from portal.sandbox.rows import Deposit
from portal.sandbox.store import Store as ReplicaStore
from tests.e2e.conftest import Agent, rows_for, uploaded_ids
from tests.sandbox_server import SandboxHandle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BCR = "12ABC345"


def _holds(sandbox: SandboxHandle, id_technique: str) -> bool:
    """Whether the replica (the CDC) holds this passage."""
    replica = ReplicaStore(sandbox.data_dir)
    with replica.connect() as db:
        return replica.has_passage(db, BCR, id_technique)


def _ours(sandbox: SandboxHandle, batch_names: set[str]) -> list[Deposit]:
    """The replica's deposits of these files, oldest first."""
    found = ReplicaStore(sandbox.data_dir).deposits()
    return sorted((d for d in found if d.file_name in batch_names), key=lambda d: d.id)


def _kinds(sandbox: SandboxHandle, deposits: list[Deposit]) -> list[str]:
    """The cpf:action of each deposited file, in deposit order."""
    out = []
    for deposit in deposits:
        text = (sandbox.data_dir / deposit.stored_path).read_bytes()
        out.append("SUPPRESSION" if b"<cpf:action>SUPPRESSION<" in text else "CREATION")
    return out


def _ok(agent: Agent, *args: str) -> str:
    done = agent.run(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _batch_names(agent: Agent) -> set[str]:
    return {b["name"] for b in agent.json("status")["batches"]}


def test_e2e_withdraw_at_cdc_then_declare_again(agent: Agent, sandbox: SandboxHandle) -> None:
    """Accepted; withdraw --at-cdc: the replica no longer holds it; redeclare: accepted again."""
    [one] = rows_for("WD", 1)
    agent.drop("export.csv", [one])
    _ok(agent, "deposit", "now", "--wait")
    assert agent.json("status")["passages"] == {"accepted": 1}
    assert _holds(sandbox, "WD-000")
    out = _ok(agent, "withdraw", "WD-000", "--at-cdc", "--reason", "revoked")
    assert "withdrawal at the CDC requested for WD-000" in out
    _ok(agent, "deposit", "now", "--wait")
    status = agent.json("status")
    assert status["passages"] == {"withdrawn": 1}
    [withdrawal] = status["withdrawals"]
    assert (withdrawal["status"], withdrawal["reason"]) == ("withdrawn", "revoked")
    assert not _holds(sandbox, "WD-000"), "the replica must no longer hold it"
    _ok(agent, "redeclare", "WD-000")
    _ok(agent, "deposit", "now", "--wait")
    assert agent.json("status")["passages"] == {"accepted": 1}
    assert _holds(sandbox, "WD-000")
    deposits = _ours(sandbox, _batch_names(agent))
    assert _kinds(sandbox, deposits) == ["CREATION", "SUPPRESSION", "CREATION"]
    assert Counter(i for i in uploaded_ids(sandbox) if i.startswith("WD-")) == {"WD-000": 3}


def _corrected_import(agent: Agent, prefix: str) -> None:
    """Accept one passage, then import a corrected row for it (held as a correction)."""
    [one] = rows_for(prefix, 1)
    agent.drop("export.csv", [one])
    _ok(agent, "deposit", "now", "--wait")
    agent.drop("corrected.csv", [{**one, "nomNaissance": "Dupond"}])
    _ok(agent, "deposit", "now", "--wait")
    status = agent.json("status")
    assert status["passages"] == {"accepted": 1}
    [held] = status["corrections_held"]
    assert held["fields"] == ["nomNaissance"]
    report = next((agent.data_dir / "inbox" / "imported").glob("corrected*.errors.csv"))
    text = report.read_text(encoding="utf-8")
    assert "with other data: nomNaissance 'Martin' -> 'Dupond'" in text


def _assert_corrected_once(agent: Agent, sandbox: SandboxHandle, prefix: str) -> None:
    """SUPPRESSION OK before the corrected CREATION was sent; each file deposited once."""
    idt = f"{prefix}-000"
    assert agent.json("status")["passages"] == {"accepted": 1}
    assert _holds(sandbox, idt)
    deposits = _ours(sandbox, _batch_names(agent))
    assert _kinds(sandbox, deposits) == ["CREATION", "SUPPRESSION", "CREATION"]
    suppression, creation = deposits[1], deposits[2]
    assert suppression.processed_at is not None
    assert suppression.processed_at <= creation.deposited_at, "CREATION before the report"
    assert b"Dupond" in (sandbox.data_dir / creation.stored_path).read_bytes()
    assert len({d.file_name for d in deposits}) == 3, "a file was deposited twice"
    assert Counter(i for i in uploaded_ids(sandbox) if i.startswith(prefix)) == {idt: 3}
    kinds = [e["kind"] for e in agent.json("log", "--limit", "200")]
    assert kinds.index("correction_requested") < kinds.index("corrected")


def test_e2e_correction_suppression_then_creation(agent: Agent, sandbox: SandboxHandle) -> None:
    """A corrected import: held; correct: SUPPRESSION OK, then the CREATION accepted."""
    _corrected_import(agent, "COR")
    out = _ok(agent, "correct", "COR-000")
    assert "SUPPRESSION first" in out
    _ok(agent, "deposit", "now", "--wait")
    _assert_corrected_once(agent, sandbox, "COR")


@pytest.mark.parametrize("crash_at", ["after_build", "after_upload", "during_report"])
def test_e2e_correction_killed_and_restarted(
    agent: Agent, sandbox: SandboxHandle, crash_at: str
) -> None:
    """Killed inside the correction (SUPPRESSION built, uploaded, its report fetched): the
    restart loses no step and doubles none."""
    prefix = f"CORKILL-{crash_at}"
    _corrected_import(agent, prefix)
    _ok(agent, "correct", f"{prefix}-000")
    crashed = agent.run("deposit", "now", "--wait", crash_at=crash_at)
    assert crashed.returncode == EXIT_STATUS, crashed.stdout + crashed.stderr
    assert agent.json("status")["passages"] == {"withdrawing": 1}
    _ok(agent, "deposit", "now", "--wait")
    _assert_corrected_once(agent, sandbox, prefix)
