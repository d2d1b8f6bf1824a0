"""The scheduler wiring: jobs and their options, listeners, the deadline check, SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)

from agent.config import AgentSettings, Config, ScheduleSettings
from agent.context import RunContext
from agent.lock import DEPOSIT_NOW, WORK, instance_lock
from agent.paths import AgentPaths
from agent.schedule import Jobs, build_scheduler
from agent.store import Store
from agent.views import status_view
from portal.errors import DepositRefused, PortalUnavailable
from portal.fake import FakePortal
from tests.agent.conftest import add_test_batch
from tests.agent.helpers import factory, inbox, make_config, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _jobs(config: Config, fake: FakePortal, now: dt.datetime = NOW) -> Jobs:
    import threading

    return Jobs(config, factory(fake), threading.Event(), now=lambda: now)  # type: ignore[arg-type]


def _events(config: Config) -> list[str]:
    with Store.open(AgentPaths.from_config(config).db) as store:
        return [e.kind for e in store.events(limit=100)]


def test_schedule_jobs_have_explicit_options(tmp_path: Path) -> None:
    """The jobs have explicit id, coalesce, one instance and a grace time in hours."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path, inbox_settle_s=0),
        schedule=ScheduleSettings(deposit="0 3 * * 1-5", misfire_grace_hours=2),
    )
    scheduler = build_scheduler(_jobs(config, FakePortal()))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == [
        "collect",
        "deadline-check",
        "deposit",
        "notify",
        "startup-collect",
        "startup-deadline",
    ]
    # One worker thread: jobs due together queue instead of racing for the work lock.
    assert scheduler._lookup_executor("default")._pool._max_workers == 1
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 7200)
    assert "day_of_week='1-5'" in str(jobs["deposit"].trigger)
    assert "hour='3'" in str(jobs["deposit"].trigger)


def test_schedule_listener_logs_errors_and_misses(tmp_path: Path) -> None:
    """EVENT_JOB_ERROR and EVENT_JOB_MISSED land in the event log."""
    config = make_config(tmp_path)
    jobs = _jobs(config, FakePortal())
    jobs.listener(JobExecutionEvent(EVENT_JOB_ERROR, "deposit", None, NOW, RuntimeError("x")))
    jobs.listener(JobExecutionEvent(EVENT_JOB_MISSED, "collect", None, NOW))
    jobs.listener(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, "deadline-check", None, [NOW]))
    assert _events(config) == ["job_error", "job_missed", "job_merged"]


def test_schedule_deadline_check_deposits_only_when_due(tmp_path: Path) -> None:
    """A pending passage within deadline_days triggers a deposit; a far one does not."""
    config = make_config(tmp_path)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1", dateDebutValidite="01/01/2026")])
    with Store.open(AgentPaths.from_config(config).db) as store:
        from agent.inbox import import_inbox

        import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None))
    # Deadline 2026-04-01: not within 15 days of 2026-03-02.
    _jobs(config, fake, NOW).deadline_check()
    assert fake.uploads == []
    _jobs(config, fake, dt.datetime(2026, 3, 20, tzinfo=dt.UTC)).deadline_check()
    assert len(fake.uploads) == 1
    assert "deadline_deposit" in _events(config)


def test_schedule_job_waits_while_deposit_now_runs(tmp_path: Path) -> None:
    """A scheduled run finding the work lock taken says who holds it, waits, then runs."""
    config = make_config(tmp_path)
    fake = FakePortal()
    write_export(inbox(config) / "a.csv", [row("A1")])
    jobs = _jobs(config, fake)
    with instance_lock(config.agent.data_dir, WORK, holder=DEPOSIT_NOW):
        worker = threading.Thread(target=jobs.deposit)
        worker.start()
        deadline = time.monotonic() + 30
        while "job_waiting" not in _events(config) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.calls == [] and (config.agent.inbox / "a.csv").exists()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(fake.uploads) == 1
    kinds = _events(config)
    assert kinds[0] == "job_waiting" and "job_skipped" not in kinds
    with Store.open(AgentPaths.from_config(config).db) as store:
        waiting = store.events(limit=100)[0].message
        finished = [e for e in store.events(limit=100) if e.kind == "run_finished"]
    assert waiting.startswith(
        f"deposit job waiting: `accrochage deposit now` (pid {os.getpid()}) is already running"
    )
    assert finished[0].message.startswith("deposit run finished (trigger: schedule):")


def test_schedule_queued_job_does_nothing_once_stopping(tmp_path: Path) -> None:
    """A job queued behind a run that was asked to stop does not start."""
    config = make_config(tmp_path)
    fake = FakePortal()
    write_export(inbox(config) / "a.csv", [row("A1")])
    jobs = _jobs(config, fake)
    jobs.stop.set()
    jobs.deposit()
    assert fake.calls == [] and (config.agent.inbox / "a.csv").exists()


def _service_env(tmp_path: Path) -> tuple[dict[str, str], str]:
    """The environment and executable of a service whose keyring is an encrypted file."""
    cfg = tmp_path / "accrochage.toml"
    cfg.write_text(
        '[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n[portal]\nusername = "alice"\n'
        '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\n',
        encoding="utf-8",
    )
    return {**os.environ, "ACCROCHAGE_CONFIG": str(cfg)}, str(
        Path(sys.executable).with_name("accrochage")
    )


def test_schedule_run_single_instance_and_sigterm(tmp_path: Path) -> None:
    """`accrochage run` refuses a second instance and stops cleanly on SIGTERM."""
    env, exe = _service_env(tmp_path)
    # `run` refuses to start without its password (exit 78); the key file is created here.
    stored = subprocess.run(
        [exe, "credentials", "set"],
        env=env,
        input="pw\n",
        text=True,
        capture_output=True,
        check=False,
    )
    assert stored.returncode == 0, stored.stderr
    service = subprocess.Popen([exe, "run"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        db = tmp_path / "data" / "agent.sqlite3"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if db.exists():
                with Store.open(db) as store:
                    if any(e.kind == "service_started" for e in store.events()):
                        break
            time.sleep(0.1)
        second = subprocess.run([exe, "run"], env=env, capture_output=True, text=True, check=False)
        assert second.returncode == 3
        assert "already running" in second.stderr
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    finally:
        if service.poll() is None:
            service.kill()
    with Store.open(db) as store:
        kinds = [e.kind for e in store.events()]
    assert kinds.index("service_started") < kinds.index("service_stopped")


def test_schedule_run_without_password_stops_with_ex_config(tmp_path: Path) -> None:
    """A service that could never log in stops at once with 78, which systemd does not restart."""
    env, exe = _service_env(tmp_path)
    done = subprocess.run([exe, "run"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 78
    assert "cannot read the keyring key file" in done.stderr
    assert "(the service stops: a restart cannot fix this)" in done.stderr


def _import(config: Config, *rows: dict[str, str]) -> None:
    write_export(inbox(config) / "a.csv", rows)
    with Store.open(AgentPaths.from_config(config).db) as store:
        from agent.inbox import import_inbox

        import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None))


def test_schedule_deadline_check_sends_built_and_held_passages(tmp_path: Path) -> None:
    """Due passages in a built batch, or held by a refused file, are deposited by the tick."""
    config = make_config(tmp_path)
    fake = FakePortal(clock=lambda: NOW)
    # Deadline 2026-03-10: due within 15 days of NOW (2026-03-02).
    _import(config, row("HELD", dateDebutValidite="10/12/2025"))
    fake.fail_next(DepositRefused("le fichier dépasse 200 Mo"), method="deposit")
    _jobs(config, fake).deposit()
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert [b.status for b in store.batches()] == ["file_rejected"]
        assert store.undeposited_due_count(dt.date(2026, 3, 17), held_class="file") == 1
        assert store.undeposited_due_count(dt.date(2026, 3, 9), held_class="file") == 0
    _jobs(config, fake).deadline_check()
    assert len(fake.uploads) == 1
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert [b.status for b in store.batches()] == ["file_rejected", "uploaded"]
        assert store.undeposited_due_count(dt.date(2026, 3, 17), held_class="file") == 0
        events = store.events(limit=100)
    released = [e.message for e in events if e.kind == "released"]
    assert released and "due by 2026-03-17 back to pending for the deadline" in released[0]
    assert any(
        e.kind == "run_started" and e.message == "deposit run (trigger: deadline)" for e in events
    )

    # A built batch left by a run whose login failed is sent by the next tick too.
    _import(config, row("BUILT", dateDebutValidite="10/12/2025"))
    fake.fail_next(PortalUnavailable("maintenance"), method="login")
    _jobs(config, fake).deposit()
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert store.batches()[-1].status == "built"
    _jobs(config, fake).deadline_check()
    assert len(fake.uploads) == 2


def test_schedule_late_declaration_marked_and_shown(tmp_path: Path) -> None:
    """A passage uploaded after its deadline is marked late, logged, and listed by status."""
    config = make_config(tmp_path)
    fake = FakePortal(clock=lambda: NOW)
    _import(
        config,
        row("LATE", dateDebutValidite="01/10/2025"),  # deadline 2026-01-01: past
        row("ONTIME", dateDebutValidite="01/02/2026"),
    )
    _jobs(config, fake).deposit()
    with Store.open(AgentPaths.from_config(config).db) as store:
        late = store.late_passages()
        events = [e for e in store.events(limit=100) if e.kind == "late"]
        view = status_view(store, today=NOW.date(), within_days=15)
    assert [p.id_technique for p in late] == ["LATE"]
    assert len(events) == 1
    assert events[0].message.startswith("LATE: declared late, on 2026-03-02 (deadline 2026-01-01")
    assert [p["id_technique"] for p in view["late"]] == ["LATE"]


def test_schedule_stopping_message_says_what_the_upload_becomes(tmp_path: Path) -> None:
    """SIGTERM lets the upload finish; Ctrl-C (which stops the browser too) says the next
    run checks the history; with no job running the service just stops."""
    from agent.lifecycle import BatchStatus
    from agent.schedule import _stopping_message

    config = make_config(tmp_path)
    jobs = _jobs(config, FakePortal())
    assert _stopping_message(jobs, signal.SIGTERM) == "stopping now (no job running)"
    jobs.idle.clear()
    with Store.open(AgentPaths.from_config(config).db) as store:
        store.set_batch_status(add_test_batch(store, []), BatchStatus.UPLOADING)
    assert _stopping_message(jobs, signal.SIGTERM) == (
        "stopping after the current upload (a.xml) and its accusé de réception"
    )
    assert _stopping_message(jobs, signal.SIGINT) == (
        "stopping; the upload of a.xml was interrupted with the browser (state: uploading): "
        "the next run checks the portal history before sending it again"
    )
