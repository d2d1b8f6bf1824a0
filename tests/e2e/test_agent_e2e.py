"""The agent end to end: real subprocesses, real Chromium, the real replica over HTTP."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from agent.store import Store
from tests.e2e.conftest import (
    ACCROCHAGE,
    CANARY_PASSWORD,
    Agent,
    check_killed_and_restarted,
    ours,
    rows_for,
)
from tests.sandbox_server import SandboxHandle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_e2e_full_loop_with_correction(agent: Agent, sandbox: SandboxHandle) -> None:
    """Deposit, read the report, correct the rejected row from the rejects CSV, deposit again."""
    rows = [*rows_for("LOOP", 3), rows_for("LOOP-BAD", 1, nomNaissance="Inconnu")[0]]
    rows.append(rows_for("LOOP-INVALID", 1, sexe="Z")[0])
    agent.drop("export.csv", rows)
    first = agent.run("deposit", "now", "--wait")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "partly_rejected (3 accepted, 1 rejected)" in first.stdout
    status = agent.json("status")
    assert status["passages"] == {"accepted": 3, "invalid": 1, "rejected": 1}
    [batch] = status["batches"]
    assert batch["status"] == "partly_rejected"
    detail = agent.json("status", batch["name"])
    assert sorted(d["kind"] for d in detail["documents"]) == [
        "accuse_reception",
        "accuse_traitement",
    ]
    rejects_csv = agent.root / "rejects.csv"
    data = agent.json("rejects", "--csv", str(rejects_csv))
    assert [(r["id_technique"], r["cdc_class"]) for r in data["rejects"]] == [
        ("LOOP-BAD-000", "holder_not_found")
    ]
    assert [(r["id_technique"], r["reasons"]) for r in data["invalid"]] == [
        ("LOOP-INVALID-000", ["sexe: expected one of: M, F"])
    ]
    with rejects_csv.open(encoding="utf-8", newline="") as handle:
        fix, fix_invalid = list(csv.DictReader(handle, delimiter=";"))
    assert (fix["status"], fix_invalid["status"]) == ("rejected", "invalid")
    fix["nomNaissance"] = "Connu"
    fix_invalid["sexe"] = "F"
    agent.drop("corrected.csv", [fix, fix_invalid])
    second = agent.run("deposit", "now", "--wait")
    assert second.returncode == 0, second.stdout + second.stderr
    assert agent.json("status")["passages"] == {"accepted": 5}, second.stdout
    assert ours(sandbox, "LOOP") == {f"LOOP-{i:03d}": 1 for i in range(3)} | {
        "LOOP-BAD-000": 2,
        "LOOP-INVALID-000": 1,
    }
    log = agent.json("log")
    assert any(e["kind"] == "reopened" for e in log)


@pytest.mark.parametrize(
    "crash_at", ["after_build", "during_upload", "after_upload", "during_report"]
)
def test_e2e_killed_and_restarted(agent: Agent, sandbox: SandboxHandle, crash_at: str) -> None:
    """Killed at a step then restarted: every passage deposited exactly once, none lost."""
    check_killed_and_restarted(agent, sandbox, crash_at)


def test_e2e_sigkill_while_upload_in_flight(agent: Agent, sandbox: SandboxHandle) -> None:
    """SIGKILL (agent and Chromium) while the upload request is in flight: exactly once."""
    prefix = "INFLIGHT"
    agent.drop("export.csv", rows_for(prefix, 2))
    db = agent.data_dir / "agent.sqlite3"
    env = dict(agent.env)
    process = subprocess.Popen(
        [str(ACCROCHAGE), "deposit", "now"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: Chromium dies with it
    )
    try:
        deadline = time.monotonic() + 120
        in_deposit = False
        while time.monotonic() < deadline and process.poll() is None and not in_deposit:
            if db.exists():
                with Store.open(db) as store:
                    if any(b.status == "uploading" for b in store.batches()):
                        sandbox.set_faults(latency_ms=4000)  # every request is now slow
                    in_deposit = any(
                        a.kind == "deposit" and a.ended_at is None for a in store.attempts()
                    )
            time.sleep(0.02)  # poll interval, bounded by the deadline above
        assert in_deposit, "the run never reached the upload"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        sandbox.set_faults(latency_ms=0)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    again = agent.run("deposit", "now", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert agent.json("status")["passages"] == {"accepted": 2}
    assert ours(sandbox, prefix) == {f"{prefix}-{i:03d}": 1 for i in range(2)}


def _evidence(agent: Agent) -> list[Path]:
    return [p for p in (agent.data_dir / "evidence").rglob("*") if p.is_file()]


def test_e2e_lost_confirmation_settled_from_history(agent: Agent, sandbox: SandboxHandle) -> None:
    """An upload stored but not confirmed is settled from the history, never sent twice."""
    prefix = "LOST"
    agent.drop("export.csv", rows_for(prefix, 2))
    sandbox.set_faults(fail_upload_confirmation=True)
    try:
        first = agent.run("deposit", "now")
    finally:
        sandbox.set_faults(fail_upload_confirmation=False)
    second = agent.run("deposit", "now", "--wait")
    assert second.returncode == 0, first.stdout + first.stderr + second.stdout + second.stderr
    assert agent.json("status")["passages"] == {"accepted": 2}
    assert ours(sandbox, prefix) == {f"{prefix}-{i:03d}": 1 for i in range(2)}
    assert _evidence(agent), "the failed confirmation must leave evidence"


def test_e2e_flaky_portal_eventually_succeeds(agent: Agent, sandbox: SandboxHandle) -> None:
    """HTTP 500s, a maintenance window and short sessions: success within bounded runs."""
    prefix = "FLAKY"
    agent.drop("export.csv", rows_for(prefix, 2))
    sandbox.set_faults(error_rate=0.2, error_seed=3, session_max_age_s=3, maintenance_for_s=2)
    try:
        outcomes = []
        for _ in range(3):  # bounded: each run retries transient failures itself
            done = agent.run("deposit", "now", "--wait")
            outcomes.append(done.returncode)
            output = done.stdout + done.stderr
            assert CANARY_PASSWORD not in output, "the password reached the console"
            if done.returncode == 0:
                break
    finally:
        sandbox.set_faults(error_rate=0.0, session_max_age_s=None)
    assert outcomes[-1] == 0, outcomes
    assert agent.json("status")["passages"] == {"accepted": 2}
    assert ours(sandbox, prefix) == {f"{prefix}-{i:03d}": 1 for i in range(2)}
    evidence = _evidence(agent)
    assert evidence, "failed attempts must leave evidence"
    assert all(p.stat().st_mode & 0o077 == 0 for p in evidence)
    assert any(p.suffix == ".zip" for p in evidence), "a Playwright trace must be among them"
    _assert_password_in_no_file(agent.root)


def _assert_password_in_no_file(root: Path) -> None:
    """No file under the agent's folder holds the password in clear: store, WAL, batches,
    documents, session state, screenshots, traces (zips searched member by member), keyring."""
    needle = CANARY_PASSWORD.encode()
    searched = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        searched += 1
        assert needle not in data, f"password found in {path}"
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    assert needle not in archive.read(member), f"password in {path}:{member}"
    assert searched > 10, "the run wrote too few files for this search to mean anything"


def test_e2e_second_deposit_run_refused(agent: Agent) -> None:
    """While a deposit run holds the lock, another says so and exits non-zero."""
    from agent.lock import WORK, instance_lock

    with instance_lock(agent.data_dir, WORK):
        done = agent.run("deposit", "now")
    assert done.returncode == 3
    assert "already running" in done.stderr
