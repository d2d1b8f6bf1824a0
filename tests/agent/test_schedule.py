"""The scheduler wiring: jobs and their options, listeners, the deadline check, SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent

from agent.config import AgentSettings, Config, ScheduleSettings
from agent.lock import WORK, instance_lock
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
    """The jobs have explicit id, coalesce, one instance and a grace time in hours."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path, inbox_settle_s=0),
        schedule=ScheduleSettings(deposit="0 3 * * 1-5", misfire_grace_hours=2),
    )
    scheduler = build_scheduler(_jobs(config, FakePortal()))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["collect", "deadline-check", "deposit", "notify", "startup-collect"]
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


def test_schedule_job_skipped_while_deposit_now_runs(tmp_path: Path) -> None:
    """A scheduled run finding the work lock taken records it and does nothing."""
    config = make_config(tmp_path)
    fake = FakePortal()
    write_export(inbox(config) / "a.csv", [row("A1")])
    with instance_lock(config.agent.data_dir, WORK):
        _jobs(config, fake).deposit()
    assert fake.calls == [] and (config.agent.inbox / "a.csv").exists()
    assert _events(config) == ["job_skipped"]


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
