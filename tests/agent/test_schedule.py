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

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent

from agent.config import AgentSettings, Config, ScheduleSettings
from agent.lock import DEPOSIT_NOW, WORK, instance_lock
from agent.paths import AgentPaths
from agent.schedule import Jobs, build_scheduler
from agent.store import Store
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, make_config, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _jobs(config: Config, fake: FakePortal, now: dt.datetime = NOW) -> Jobs:
    import threading

    return Jobs(config, factory(fake), threading.Event(), now=lambda: now)  # type: ignore[arg-type]


def _events(config: Config) -> list[str]:
    with Store.open(AgentPaths.from_config(config).db) as store:
        return [e.kind for e in store.events(limit=100)]


def test_schedule_jobs_have_explicit_options(tmp_path: Path) -> None:
    """Three jobs with explicit id, coalesce, one instance and a grace time in hours."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path),
        schedule=ScheduleSettings(deposit="0 3 * * 1-5", misfire_grace_hours=2),
    )
    scheduler = build_scheduler(_jobs(config, FakePortal()))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == [
        "collect",
        "deadline-check",
        "deposit",
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
    assert _events(config) == ["job_error", "job_missed"]


def test_schedule_deadline_check_deposits_only_when_due(tmp_path: Path) -> None:
    """A pending passage within deadline_days triggers a deposit; a far one does not."""
    config = make_config(tmp_path)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1", dateDebutValidite="01/01/2026")])
    with Store.open(AgentPaths.from_config(config).db) as store:
        from agent.inbox import import_inbox

        import_inbox(store, config, now=lambda: NOW, progress=lambda _l: None)
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


def test_schedule_run_single_instance_and_sigterm(tmp_path: Path) -> None:
    """`accrochage run` refuses a second instance and stops cleanly on SIGTERM."""
    cfg = tmp_path / "accrochage.toml"
    cfg.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    env = {**os.environ, "ACCROCHAGE_CONFIG": str(cfg)}
    exe = str(Path(sys.executable).with_name("accrochage"))
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
