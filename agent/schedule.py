"""``accrochage run``: APScheduler 3 wiring only; the jobs call :mod:`agent.deposit`.

One ``BlockingScheduler`` with a memory job store (nothing persistent, so nothing to share
between processes) and three cron jobs from ``[schedule]``:

- ``deposit``: import, build, deposit, collect (nightly by default), then apply
  ``[retention]`` (:mod:`agent.retention`);
- ``collect``: collect receipts and reports (every two hours by default);
- ``deadline-check``: hourly; when a passage not yet deposited (pending, in a built batch,
  or held by a file refused as a whole) is within ``deadline_days`` of its three-month
  deadline, it runs the deposit at once instead of waiting for the night;
- ``notify``: every ``[notify] interval_minutes`` (and at start): the service's heartbeat
  (read by ``status --check``), pending notifications and the daily deadline digest;
- ``startup-collect`` and ``startup-deadline``: once at start, so uploads left in doubt by a
  crash are settled from the portal history, ready reports collected and due passages sent.

Every job has an explicit id, ``replace_existing=True``, ``coalesce=True``,
``max_instances=1`` and a misfire grace time in hours. The scheduler has ONE worker thread:
jobs due together queue and run one after the other, never skipped. Job bodies take the
``work`` lock (shared with ``deposit now``), waiting for it when another process holds it, and
create the Playwright portal inside the job thread. Listeners write job errors, missed runs
and merged turns to the event log. SIGTERM and SIGINT let the running job finish its current
upload and receipt (no report collection), then the service exits.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.events import (  # type: ignore[import-untyped]
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from agent.checkpoint import Checkpoint, checked, no_checkpoint
from agent.collect import FILE_CLASS
from agent.config import Config
from agent.context import RunContext
from agent.deposit import PortalFactory, RunOptions, Trigger, run_deposit
from agent.health import HEARTBEAT
from agent.lifecycle import BatchStatus
from agent.lock import SERVICE, WORK, AlreadyRunning
from agent.login_guard import LoginGuard
from agent.notify import send_pending
from agent.paths import AgentPaths
from agent.retention import apply_retention
from agent.store import StorePort, open_store
from agent.store_lock import FILE_LOCK, HeldLock, LockLost, agent_lock

if TYPE_CHECKING:
    from agent.status_server import StatusServer

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Jobs:
    """The job bodies, bound to one config and portal factory.

    The scheduler runs them one at a time (one worker thread), so the service's own jobs
    queue behind each other; a job that finds the work lock held by another process
    (``accrochage deposit now``) waits for it, then runs.
    """

    config: Config
    portal_factory: PortalFactory
    stop: threading.Event
    now: Callable[[], dt.datetime] = _utcnow
    login_guard: LoginGuard | None = None
    idle: threading.Event = field(default_factory=threading.Event)
    #: The crash checkpoint of every run (a no-op in production).
    checkpoint: Checkpoint = no_checkpoint
    #: The service's own lock (``agent.store_lock``), checked before each job.
    service_lock: HeldLock = FILE_LOCK
    #: Stops the scheduler (set by ``run_service`` once it has one).
    shutdown: Callable[[], None] = lambda: None
    #: Why the service lost its lock, once it did.
    lost: str | None = None
    #: The data directory's layout, computed once for the service (here when not given).
    paths: AgentPaths | None = None

    def __post_init__(self) -> None:
        self.idle.set()
        if self.paths is None:
            self.paths = AgentPaths.from_config(self.config)

    def _open_store(self) -> StorePort:
        return open_store(self.config, now=self.now)

    def _locked_run(self, options: RunOptions, what: str, *, retention: bool = False) -> None:
        if self.stop.is_set():
            return  # queued behind a run that was asked to stop
        self.idle.clear()
        try:
            if not self.service_lock_held():
                return
            with agent_lock(
                self.config,
                WORK,
                holder=f"{SERVICE}, scheduled {what} job",
                on_wait=lambda other: self.event(
                    "job_waiting", f"{what} job waiting: {other}", level="warning"
                ),
                should_stop=self.stop.is_set,
            ) as work_lock:
                # One context per run: the XSD may have been imported since the last one.
                # At each step the run reaches, its work lock must still be held.
                run = RunContext.create(
                    self.config,
                    paths=self.paths,
                    now=self.now,
                    checkpoint=checked(work_lock.check, self.checkpoint),
                )
                run_deposit(
                    run,
                    portal_factory=self.portal_factory,
                    options=options,
                    should_stop=self.stop.is_set,
                    login_guard=self.login_guard,
                )
                if retention:
                    with run.open_store() as store:
                        apply_retention(store, run.paths, self.config.retention, now=self.now())
        except LockLost as exc:
            self.event(
                "lock_lost",
                f"{what} stopped: {exc}; another agent may take over (what this run left "
                "in doubt, the next run settles from the portal history)",
                level="error",
            )
        except AlreadyRunning as exc:
            self.event("job_skipped", f"{what} not run (the service is stopping): {exc}")
        finally:
            self.idle.set()

    def deposit(self) -> None:
        """Import, build, deposit and collect once; then apply ``[retention]``."""
        self._locked_run(RunOptions(trigger=Trigger.SCHEDULE), "deposit", retention=True)

    def service_lock_held(self) -> bool:
        """Whether the service still holds its lock; if not, say so and stop the service
        (its restart stands by while another agent holds the lock, or takes it again)."""
        try:
            self.service_lock.check()
        except LockLost as exc:
            self.lost = str(exc)
            self.event(
                "service_lock_lost",
                f"the service stops: {exc}; another agent may be active now",
                level="error",
            )
            self.stop.set()
            self.shutdown()
            return False
        return True

    def notify(self) -> None:
        """Between runs: note that the service is alive (and still holds its lock), send
        pending notifications."""
        if not self.service_lock_held():
            return
        with self._open_store() as store:
            store.set_state(HEARTBEAT, self.now().isoformat(timespec="seconds"))
        send_pending(self.config, now=self.now)

    def collect(self) -> None:
        """Collect receipts and reports only."""
        self._locked_run(RunOptions(collect_only=True, trigger=Trigger.SCHEDULE), "collect")

    def deadline_check(self) -> None:
        """Deposit now if a passage not yet sent is within ``deadline_days`` of its deadline.

        Pending passages, passages in a built batch and passages held by a file refused as
        a whole all count; the held ones are released and rebuilt by the run.
        """
        days = self.config.schedule.deadline_days
        horizon = self.now().astimezone(ZoneInfo(self.config.agent.timezone)).date()
        horizon += dt.timedelta(days=days)
        with self._open_store() as store:
            due = store.undeposited_due_count(horizon, held_class=FILE_CLASS)
        if due:
            self.event(
                "deadline_deposit",
                f"{due} passage(s) not yet deposited are due within {days} days: depositing now",
                level="warning",
            )
            options = RunOptions(trigger=Trigger.DEADLINE, release_due=horizon)
            self._locked_run(options, "deadline deposit")

    def event(self, kind: str, message: str, *, level: str = "info") -> None:
        log.log(logging.getLevelNamesMapping()[level.upper()], "%s", message)
        with self._open_store() as store:
            store.add_event(kind, message, level=level)

    def listener(self, event: JobEvent) -> None:
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
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            # The same job is already queued or running: that run covers this one.
            self.event("job_merged", f"job {event.job_id}: already queued, this turn merged")


def build_scheduler(jobs: Jobs) -> BlockingScheduler:
    """The scheduler with the three jobs of ``[schedule]`` and the event listeners.

    One worker thread: jobs due at the same time queue and run one after the other.
    """
    settings = jobs.config.schedule
    tz = ZoneInfo(jobs.config.agent.timezone)
    scheduler = BlockingScheduler(
        timezone=tz, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
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
    # On start, settle uploads left in doubt and collect what is ready, then look at the
    # deadlines (the service may have been down), once each, right away.
    scheduler.add_job(jobs.collect, "date", id="startup-collect", name="startup-collect", **common)
    scheduler.add_job(
        jobs.deadline_check, "date", id="startup-deadline", name="startup-deadline", **common
    )
    scheduler.add_listener(
        jobs.listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
    )
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


def _stopping_message(jobs: Jobs, signum: int) -> str:
    if jobs.idle.is_set():
        return "stopping now (no job running)"
    with jobs._open_store() as store:
        uploading = store.batches(BatchStatus.UPLOADING)
    if not uploading:
        return "stopping after the current step"
    names = ", ".join(b.name for b in uploading)
    if signum == signal.SIGINT:
        # Ctrl-C in a terminal reaches the browser too: the upload cannot finish.
        return (
            f"stopping; the upload of {names} was interrupted with the browser (state: "
            "uploading): the next run checks the portal history before sending it again"
        )
    return f"stopping after the current upload ({names}) and its accusé de réception"


def run_service(
    config: Config,
    *,
    portal_factory: PortalFactory,
    login_guard: LoginGuard | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    service_lock: HeldLock = FILE_LOCK,
    paths: AgentPaths | None = None,
) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (the caller holds
    ``service_lock``, checked before each job: when it is lost the service stops and this
    raises ``LockLost``).

    On a signal, a running job finishes its current upload (and fetches its accusé de
    réception), collects no report, and the service exits once it has ended. Each job run
    gets its own :class:`~agent.context.RunContext`, with ``checkpoint``.
    """
    stop = threading.Event()
    jobs = Jobs(
        config,
        portal_factory,
        stop,
        login_guard=login_guard,
        checkpoint=checkpoint,
        service_lock=service_lock,
        paths=paths,
    )
    scheduler = build_scheduler(jobs)
    jobs.shutdown = lambda: scheduler.shutdown(wait=False)
    page = _status_page(jobs)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            return
        stop.set()
        name = signal.Signals(signum).name
        jobs.event("service_stopping", f"{name}: {_stopping_message(jobs, signum)}")
        # wait=False: the handler runs in the main thread, which must return to the loop;
        # the running job ends at its next safe point and run_service waits for it below.
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jobs.event("service_started", "accrochage run: scheduler started")
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        scheduler.start()
        jobs.idle.wait()
    finally:
        if page is not None:
            page.close()
    jobs.event("service_stopped", "accrochage run: scheduler stopped")
    if jobs.lost is not None:
        raise LockLost(jobs.lost)
