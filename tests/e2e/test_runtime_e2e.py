"""Unattended operation end to end: the service (`accrochage run`) and `deposit now` as real
subprocesses, real Chromium, the real replica over HTTP.

- a refused password is typed once, never again until it changes (no lockout);
- jobs due together queue (none skipped), and wait for a real `deposit now`;
- the deadline job deposits passages held by a file the portal refused;
- SIGTERM during an upload finishes it (and its receipt), collects nothing, then stops;
- Ctrl-C: one line, exit 130, an `interrupted` event.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from agent.lock import DEPOSIT_NOW, WORK, instance_lock
from agent.rows import Event
from agent.store import Store
from tests.e2e.conftest import ACCROCHAGE, CANARY_PASSWORD, Agent, _agent_at, rows_for
from tests.e2e.conftest import wait_until as _wait_until
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A cron expression that never fires during a test.
NEVER = "0 0 1 1 *"


def _events(agent: Agent) -> list[Event]:
    db = agent.data_dir / "agent.sqlite3"
    if not db.exists():
        return []
    with Store.open(db) as store:
        return store.events(limit=10_000)


def _schedule(agent: Agent, **cron: str) -> None:
    """Set [schedule] cron keys ([schedule] is the last table of the test config)."""
    lines = "".join(f'{key} = "{value}"\n' for key, value in cron.items())
    config = agent.root / "accrochage.toml"
    config.write_text(config.read_text(encoding="utf-8") + lines, encoding="utf-8")


@contextmanager
def _service(agent: Agent) -> Iterator[subprocess.Popen[bytes]]:
    """`accrochage run` in the background; its console output goes to service.log."""
    with (agent.root / "service.log").open("wb") as out:
        process = subprocess.Popen(
            [str(ACCROCHAGE), "run"], env=agent.env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _wait_until("the service start", lambda: _has(agent, "service_started"), 60)
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=180)


def _has(agent: Agent, kind: str, text: str = "") -> bool:
    return any(e.kind == kind and text in e.message for e in _events(agent))


def _batches(agent: Agent) -> list[dict[str, object]]:
    batches: list[dict[str, object]] = agent.json("status")["batches"]
    return batches


def _failures(sandbox: SandboxHandle) -> tuple[int, float | None]:
    account = sandbox.server.store.get_account(sandbox.username)
    assert account is not None
    return account.failures, account.locked_until


def test_e2e_refused_password_then_six_runs_one_refused_login(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """Wrong password then six runs: exactly one refused login at the replica, no lockout;
    a new password resumes at once."""
    assert agent.run("credentials", "set", stdin="not-the-password\n").returncode == 0
    agent.drop("export.csv", rows_for("PAUSED", 1))
    assert _failures(sandbox) == (0, None)
    runs = [agent.run("deposit", "now") for _ in range(7)]
    for done in runs:
        assert done.returncode == 1
        assert "login paused: the portal refused the password at " in done.stdout, done.stdout
        assert "; run `accrochage credentials set`" in done.stdout
    assert "Identifiant ou mot de passe incorrect" in runs[0].stdout
    assert _failures(sandbox) == (1, None), "one refused login, account not locked"
    assert sum(e.kind == "login_paused" for e in _events(agent)) == 1

    fixed = agent.run("credentials", "set", stdin=CANARY_PASSWORD + "\n")
    assert fixed.returncode == 0
    assert "they resume with this one" in fixed.stdout
    done = agent.run("deposit", "now", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert agent.json("status")["passages"] == {"accepted": 1}
    assert _failures(sandbox) == (0, None)


def test_e2e_jobs_due_together_queue_and_wait_for_deposit_now(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """A deposit due with collect, while `deposit now` holds the lock: nothing is skipped,
    the waiting message names `deposit now`, the deposit happens in that same cycle."""
    sandbox.set_faults(processing_delay_s=600)  # keep a file "in processing": collect works
    try:
        agent.drop("first.csv", rows_for("QUEUE-A", 1))
        assert agent.run("deposit", "now").returncode == 0
        agent.drop("second.csv", rows_for("QUEUE-B", 1))
        _schedule(agent, deposit="* * * * *", collect="* * * * *", deadline_check=NEVER)
        with ExitStack() as held:
            held.enter_context(instance_lock(agent.data_dir, WORK, holder=DEPOSIT_NOW))
            with _service(agent) as service:
                _wait_until("a job waiting", lambda: _has(agent, "job_waiting"), 60)
                boundary = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).replace(
                    second=2, microsecond=0
                )
                _wait_until("the next minute", lambda: dt.datetime.now(dt.UTC) >= boundary, 90)
                held.close()  # `deposit now` ends: startup-collect, then the jobs due together
                released_at = dt.datetime.now(dt.UTC)
                _wait_until(
                    "the scheduled deposit run's end",
                    lambda: _has(agent, "run_finished", "deposit run finished (trigger: schedule)"),
                )
                assert _stop(service) == 0
    finally:
        sandbox.set_faults(processing_delay_s=0.5)
    events = _events(agent)
    assert not [e for e in events if e.kind in ("job_skipped", "job_missed")]
    waiting = next(e for e in events if e.kind == "job_waiting")
    assert f"`accrochage deposit now` (pid {os.getpid()}) is already running" in waiting.message
    started = [e.message for e in events if e.kind == "run_started"]
    assert "deposit run (trigger: schedule)" in started
    assert "collect (trigger: schedule)" in started
    first_deposit = next(e for e in events if e.message == "deposit run (trigger: schedule)")
    assert dt.datetime.fromisoformat(first_deposit.at) < released_at + dt.timedelta(seconds=60)
    assert [b["status"] for b in _batches(agent)] == ["uploaded", "uploaded"]


def test_e2e_deadline_job_deposits_held_batch(
    tmp_path: Path, keyring_files: Path, sandbox: SandboxHandle
) -> None:
    """A file the portal refused holds its passages; the deadline job sends the due ones
    again at once (the others stay held), and one declared after its deadline is marked
    late and shown."""
    del sandbox  # the module's replica only provided the keyring; this test runs its own
    today = dt.datetime.now(dt.UTC).date()
    due = (today - dt.timedelta(days=85)).strftime("%d/%m/%Y")  # deadline in about 7 days
    late = (today - dt.timedelta(days=120)).strftime("%d/%m/%Y")  # deadline passed
    later = (today - dt.timedelta(days=10)).strftime("%d/%m/%Y")  # deadline in ~80 days
    # Five passages make a file above the limit; the two due ones alone fit under it.
    with running_sandbox(
        tmp_path / "replica", password=CANARY_PASSWORD, max_upload_bytes=7000
    ) as replica:
        agent = _agent_at(tmp_path / "agent", replica)
        for name in ("keyring-key", "keyring.cfg"):
            shutil.copy2(keyring_files / name, agent.root / name)
        agent.drop(
            "export.csv",
            [
                *rows_for("HELD-DUE", 1, dateDebutValidite=due),
                *rows_for("HELD-LATE", 1, dateDebutValidite=late),
                *rows_for("HELD-LATER", 3, dateDebutValidite=later),
            ],
        )
        refused = agent.run("deposit", "now")
        assert refused.returncode == 0, refused.stdout + refused.stderr
        assert "REFUSED by the portal" in refused.stdout
        assert [b["status"] for b in _batches(agent)] == ["file_rejected"]
        _schedule(agent, deposit=NEVER, collect=NEVER, deadline_check=NEVER)
        with _service(agent) as service:  # its start-up deadline check does the work
            _wait_until("the deadline deposit", lambda: len(_batches(agent)) == 2)
            _wait_until("its end", lambda: _has(agent, "run_finished", "trigger: deadline"))
            assert _stop(service) == 0
        first, second = _batches(agent)
        assert first["status"] == "file_rejected"
        assert second["status"] in ("uploaded", "accepted")
        assert second["passages"] == 2
        assert _has(agent, "deadline_deposit", "2 passage(s) not yet deposited are due")
        assert _has(agent, "released", "2 held passage(s) due by")
        status = agent.json("status")
        assert status["passages"].get("rejected") == 3, status["passages"]  # not due: held
        assert [p["id_technique"] for p in status["late"]] == ["HELD-LATE-000"]
        text = agent.run("status").stdout
        assert "Declared late (after the 3-month deadline): 1" in text
        assert [d["file_name"] for d in replica.deposits()] == [second["name"]]


def _uploading(agent: Agent) -> bool:
    db = agent.data_dir / "agent.sqlite3"
    if not db.exists():
        return False
    with Store.open(db) as store:
        return any(a.kind == "deposit" and a.ended_at is None for a in store.attempts())


def test_e2e_sigterm_mid_upload_finishes_it_then_stops(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """SIGTERM while uploading: the upload and its receipt complete, no report is collected,
    the log says so, the service exits 0; the next run collects the report."""
    agent.drop("export.csv", rows_for("SIGTERM", 2))
    _schedule(agent, deposit="* * * * *", collect=NEVER, deadline_check=NEVER)
    try:
        with _service(agent) as service:
            _wait_until("the upload", lambda: _has(agent, "uploading"), 90)
            sandbox.set_faults(latency_ms=3000)  # the upload is now in flight, slowly
            _wait_until("the upload attempt", lambda: _uploading(agent), 60)
            service.send_signal(signal.SIGTERM)
            sandbox.set_faults(latency_ms=0)
            assert service.wait(timeout=180) == 0
    finally:
        sandbox.set_faults(latency_ms=0)
    log = (agent.root / "service.log").read_text(encoding="utf-8")
    assert "stopping after the current upload" in log
    assert log.index("stopping after the current upload") < log.index("scheduler stopped")
    assert "Running job" not in log  # APScheduler's own INFO lines stay below INFO
    [batch] = _batches(agent)
    assert batch["status"] == "uploaded"
    detail = agent.json("status", str(batch["name"]))
    assert [d["kind"] for d in detail["documents"]] == ["accuse_reception"]
    assert _has(agent, "run_finished", "uploaded 1, processed 0")
    again = agent.run("deposit", "now", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert agent.json("status")["passages"] == {"accepted": 2}
    assert [d["file_name"] for d in sandbox.deposits()].count(batch["name"]) == 1


def test_e2e_ctrl_c_one_line_exit_130(agent: Agent, sandbox: SandboxHandle) -> None:
    """Ctrl-C (SIGINT to the foreground process group) during an upload: one line naming
    the batch's state and the history check, exit 130, an `interrupted` event, no browser
    log on the console; the next run sends the file exactly once."""
    agent.drop("export.csv", rows_for("CTRLC", 1))
    process = subprocess.Popen(
        [str(ACCROCHAGE), "deposit", "now"],
        env=agent.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        _wait_until("the upload", lambda: _has(agent, "uploading"), 90)
        sandbox.set_faults(latency_ms=3000)
        _wait_until("the upload attempt", lambda: _uploading(agent), 60)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        sandbox.set_faults(latency_ms=0)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err.decode()
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith("interrupted during the upload of "), err.decode()
    assert "(state: uploading); the next run checks the portal history" in last
    console = (out + err).decode()
    assert "<launching>" not in console and "Traceback" not in console, console
    assert " WARNING " not in console and " ERROR " not in console, console
    assert _has(agent, "interrupted", "state: uploading")
    again = agent.run("deposit", "now", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    [batch] = _batches(agent)
    assert [d["file_name"] for d in sandbox.deposits()].count(batch["name"]) == 1
