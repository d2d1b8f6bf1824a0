"""``accrochage run``: APScheduler 3 wiring only; the jobs call :mod:`agent.deposit`.

One ``BlockingScheduler`` with a memory job store (nothing persistent, so nothing to share
between processes) and three cron jobs from ``[schedule]``:

- ``deposit``: import, build, deposit, collect (nightly by default);
- ``collect``: collect receipts and reports (every two hours by default);
- ``deadline-check``: hourly; when a pending passage is within ``deadline_days`` of its
  three-month deadline, it runs the deposit at once instead of waiting for the night;
- ``notify``: every ``[notify] interval_minutes`` (and at start): the service's heartbeat
  (read by ``status --check``), pending notifications and the daily deadline digest;
- ``startup-collect``: once at start, so uploads left in doubt by a crash are settled from the
  portal history (and ready reports collected) before the next scheduled deposit.

Every job has an explicit id, ``replace_existing=True``, ``coalesce=True``,
``max_instances=1`` and a misfire grace time in hours. Job bodies take the ``work`` lock
(shared with ``deposit now``) and create the Playwright portal inside the job thread.
Listeners write ``EVENT_JOB_ERROR`` and ``EVENT_JOB_MISSED`` to the event log. SIGTERM and
SIGINT ask the running job to stop between batches and shut the scheduler down.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.events import (  # type: ignore[import-untyped]
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from agent.config import Config
from agent.deposit import PortalFactory, RunOptions, run_deposit
from agent.health import HEARTBEAT
from agent.lock import WORK, AlreadyRunning, instance_lock
from agent.notify import send_pending
from agent.paths import AgentPaths
from agent.store import Store

if TYPE_CHECKING:
    from agent.status_server import StatusServer

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Jobs:
    """The job bodies, bound to one config and portal factory."""

    config: Config
    portal_factory: PortalFactory
    stop: threading.Event
    now: Callable[[], dt.datetime] = _utcnow

    def _locked_run(self, options: RunOptions, what: str) -> None:
        paths = AgentPaths.from_config(self.config)
        try:
            with instance_lock(paths.data_dir, WORK):
                run_deposit(
                    self.config,
                    portal_factory=self.portal_factory,
                    options=options,
                    now=self.now,
                    should_stop=self.stop.is_set,
                )
        except AlreadyRunning as exc:
            self.event("job_skipped", f"{what} skipped: {exc}", level="warning")

    def deposit(self) -> None:
        """Import, build, deposit and collect once."""
        self._locked_run(RunOptions(), "deposit")

    def notify(self) -> None:
        """Between runs: note that the service is alive, send pending notifications."""
        with Store.open(AgentPaths.from_config(self.config).db, now=self.now) as store:
            store.set_state(HEARTBEAT, self.now().isoformat(timespec="seconds"))
        send_pending(self.config, now=self.now)

    def collect(self) -> None:
        """Collect receipts and reports only."""
        self._locked_run(RunOptions(collect_only=True), "collect")

    def deadline_check(self) -> None:
        """Deposit now if a pending passage is within ``deadline_days`` of its deadline."""
        days = self.config.schedule.deadline_days
        horizon = self.now().date() + dt.timedelta(days=days)
        with Store.open(AgentPaths.from_config(self.config).db, now=self.now) as store:
            due = store.pending_due_count(horizon)
        if due:
            self.event(
                "deadline_deposit",
                f"{due} pending passage(s) due within {days} days: depositing now",
                level="warning",
            )
            self.deposit()

    def event(self, kind: str, message: str, *, level: str = "info") -> None:
        log.log(logging.WARNING if level != "info" else logging.INFO, "%s", message)
        with Store.open(AgentPaths.from_config(self.config).db, now=self.now) as store:
            store.add_event(kind, message, level=level)

    def listener(self, event: JobExecutionEvent) -> None:
        """Write job errors and missed runs to the event log."""
        if event.code == EVENT_JOB_ERROR:
            self.event(
                "job_error", f"job {event.job_id} failed: {event.exception!r}", level="error"
            )
        elif event.code == EVENT_JOB_MISSED:
            self.event(
                "job_missed",
                f"job {event.job_id} missed its run at {event.scheduled_run_time}",
                level="warning",
            )


def build_scheduler(jobs: Jobs) -> BlockingScheduler:
    """The scheduler with the three jobs of ``[schedule]`` and the event listeners."""
    settings = jobs.config.schedule
    tz = ZoneInfo(jobs.config.agent.timezone)
    scheduler = BlockingScheduler(timezone=tz)
    common: dict[str, Any] = {
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(settings.misfire_grace_hours * 3600),
    }
    for job_id, func, cron in (
        ("deposit", jobs.deposit, settings.deposit),
        ("collect", jobs.collect, settings.collect),
        ("deadline-check", jobs.deadline_check, settings.deadline_check),
    ):
        trigger = CronTrigger.from_crontab(cron, timezone=tz)
        scheduler.add_job(func, trigger, id=job_id, name=job_id, **common)
    # Between runs: heartbeat (for `status --check`), pending notifications, daily digest.
    minutes = jobs.config.notify.interval_minutes
    scheduler.add_job(
        jobs.notify,
        IntervalTrigger(minutes=minutes, timezone=tz),
        id="notify",
        name="notify",
        next_run_time=dt.datetime.now(tz),
        **common,
    )
    # On start, settle uploads left in doubt and collect what is ready, once, right away.
    scheduler.add_job(jobs.collect, "date", id="startup-collect", name="startup-collect", **common)
    scheduler.add_listener(jobs.listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _status_page(jobs: Jobs) -> StatusServer | None:
    """The status page server when ``[agent] status_port`` is set; the service runs without
    it (and says why in the event log) when the port cannot be used."""
    port = jobs.config.agent.status_port
    if port is None:
        return None
    from agent.status_server import StatusServer

    try:
        return StatusServer(jobs.config, port)
    except OSError as exc:
        jobs.event(
            "status_page_failed",
            f"status page not served: cannot listen on 127.0.0.1:{port} ({exc})",
            level="error",
        )
        return None


def run_service(config: Config, *, portal_factory: PortalFactory) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (the caller holds the lock)."""
    stop = threading.Event()
    jobs = Jobs(config, portal_factory, stop)
    scheduler = build_scheduler(jobs)
    page = _status_page(jobs)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current step", signal.Signals(signum).name)
        stop.set()
        # wait=False: the handler runs in the main thread, which must return to the loop;
        # a running job finishes its current step (every step is committed) and then ends.
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jobs.event("service_started", "accrochage run: scheduler started")
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        scheduler.start()
    finally:
        if page is not None:
            page.close()
    jobs.event("service_stopped", "accrochage run: scheduler stopped")
