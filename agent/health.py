"""Health for monitoring: ``status --check`` findings and the service lines of ``status``.

Findings follow the Nagios/Icinga convention: one line each, and the exit code of the worst
(0 OK, 1 warning, 2 critical).

- warning: passages due within ``deadline_days``; a file not imported (last 7 days);
  rejected passages waiting for correction; invalid passages (rows to correct); a
  notification destination failing;
- critical: overdue passages; the last run failed; the portal refused the login (the agent
  waits for ``accrochage credentials set``); a batch stuck in ``built`` or ``uploading`` for
  more than a day; the service not seen for longer than its schedule (its heartbeat, or the
  last run, older than the schedule allows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from agent.config import Config
from agent.lifecycle import BatchStatus, PassageStatus
from agent.lock import SCHEDULER, lock_holder
from agent.rows import Event
from agent.store import StorePort
from agent.store_lock import store_lock_holder

#: agent_state key: when the service last showed it was alive (UTC ISO time).
HEARTBEAT = "service_heartbeat"
STUCK_AFTER = dt.timedelta(days=1)
RECENT_IMPORTS = dt.timedelta(days=7)
#: How a run that stopped on paused logins reports it (``agent.deposit._portal_failed``).
LOGIN_PAUSED = "LoginPaused"
_LOGIN_ERRORS = ("LoginFailed", LOGIN_PAUSED, "CredentialsError")
EXIT_CODES = {"ok": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Finding:
    """One thing that needs attention."""

    level: Literal["warning", "critical"]
    code: str
    message: str

    def line(self) -> str:
        """The Nagios-style line."""
        return f"{self.level.upper()}: {self.message}"


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def next_runs(config: Config, after: dt.datetime) -> dict[str, str | None]:
    """The next time each scheduled job runs (in ``agent.timezone``), after ``after``."""
    tz = ZoneInfo(config.agent.timezone)
    schedule = config.schedule
    out: dict[str, str | None] = {}
    for job, cron in (
        ("deposit", schedule.deposit),
        ("collect", schedule.collect),
        ("deadline-check", schedule.deadline_check),
    ):
        fire = CronTrigger.from_crontab(cron, timezone=tz).get_next_fire_time(None, after)
        out[job] = fire.isoformat(timespec="minutes") if fire else None
    return out


def run_errors(store: StorePort, finished: Event) -> list[Event]:
    """The error events of the run that ``finished`` (a ``run_finished`` event) ends."""
    start = store.last_event("run_started", before_id=finished.id)
    first = start.id if start else finished.id
    return [
        e
        for e in store.events_between(first, finished.id - 1)
        if e.level == "error" and e.kind != "run_finished"
    ]


def login_refused(errors: list[Event]) -> bool:
    """Whether a run's errors include the portal refusing the login (or no password)."""
    return any(word in e.message for e in errors for word in _LOGIN_ERRORS)


def service_view(store: StorePort, config: Config, now: dt.datetime) -> dict[str, Any]:
    """Last (successful) run, next scheduled runs, whether the service runs and was seen."""
    last = store.last_event("run_finished")
    success = store.last_event("run_finished", level="info")
    if config.store.url and config.store.url.startswith("postgresql://"):
        # The active service may run on another machine: the store's lock says whether one
        # runs (and where, in the service's log line); its pid means nothing here.
        pid, running = None, store_lock_holder(config, SCHEDULER) is not None
    else:
        pid = lock_holder(config.agent.data_dir, SCHEDULER)
        running = pid is not None
    return {
        "running": running,
        "pid": pid,
        "last_seen": store.state(HEARTBEAT),
        "last_run": {"at": last.at, "ok": last.level == "info", "summary": last.message}
        if last
        else None,
        "last_successful_run": success.at if success else None,
        "next_runs": next_runs(config, now),
    }


def findings(store: StorePort, config: Config, now: dt.datetime) -> list[Finding]:
    """Every finding, critical ones first."""
    found = _passage_findings(store, config, now)
    found += _run_findings(store, config, now)
    found += _batch_findings(store, now)
    return sorted(found, key=lambda f: f.level != "critical")


def _passage_findings(store: StorePort, config: Config, now: dt.datetime) -> list[Finding]:
    today = now.astimezone(ZoneInfo(config.agent.timezone)).date()
    days = config.schedule.deadline_days
    due = store.open_passages_due(today + dt.timedelta(days=days))
    overdue = sum(1 for p in due if p.deadline and p.deadline < today)
    out: list[Finding] = []
    if overdue:
        out.append(
            Finding("critical", "overdue", f"{overdue} passage(s) past their 3-month deadline")
        )
    if len(due) > overdue:
        out.append(
            Finding("warning", "due", f"{len(due) - overdue} passage(s) due within {days} days")
        )
    counts = store.passage_counts()
    if counts.get(PassageStatus.REJECTED.value):
        out.append(
            Finding(
                "warning",
                "rejected",
                f"{counts[PassageStatus.REJECTED.value]} rejected passage(s) waiting for "
                "correction (accrochage rejects)",
            )
        )
    if counts.get(PassageStatus.INVALID.value):
        out.append(
            Finding(
                "warning",
                "invalid",
                f"{counts[PassageStatus.INVALID.value]} invalid passage(s): rows to correct "
                "and import again (accrochage rejects)",
            )
        )
    return out


def _run_findings(store: StorePort, config: Config, now: dt.datetime) -> list[Finding]:
    out: list[Finding] = []
    last = store.last_event("run_finished")
    if last is not None and last.level != "info":
        errors = run_errors(store, last)
        reason = "; ".join(e.message for e in errors) or last.message
        if login_refused(errors):
            out.append(
                Finding(
                    "critical",
                    "login_refused",
                    f"the portal refused the login at {last.at}: nothing is deposited until "
                    f"`accrochage credentials set` ({reason})",
                )
            )
        else:
            out.append(
                Finding("critical", "last_run_failed", f"last run failed at {last.at}: {reason}")
            )
    since = _stamp(now - RECENT_IMPORTS)
    failed = [
        e
        for e in store.events_after(store.last_event_id(before=since))
        if e.kind == "import_failed"
    ]
    if failed:
        names = ", ".join(e.message.split(":", 1)[0] for e in failed[:5])
        out.append(
            Finding(
                "warning",
                "file_not_imported",
                f"{len(failed)} file(s) not imported in the last 7 days: {names}",
            )
        )
    out += _service_findings(store, config, now)
    for cursor in store.notify_cursors():
        if cursor["failures"]:
            out.append(
                Finding(
                    "warning",
                    "notify_failing",
                    f"a notification destination fails since {cursor['updated_at']}: "
                    f"{cursor['last_error']}",
                )
            )
    return out


def _service_findings(store: StorePort, config: Config, now: dt.datetime) -> list[Finding]:
    out: list[Finding] = []
    seen = store.state(HEARTBEAT)
    limit = dt.timedelta(minutes=max(3 * config.notify.interval_minutes, 30))
    if seen is not None and now - _parse(seen) > limit:
        out.append(
            Finding(
                "critical",
                "service_not_seen",
                f"the service (accrochage run) was last seen at {seen}: expected every "
                f"{config.notify.interval_minutes:g} minutes",
            )
        )
    started = store.last_event("run_started")
    if started is not None:
        tz = ZoneInfo(config.agent.timezone)
        cron = CronTrigger.from_crontab(config.schedule.deposit, timezone=tz)
        expected = cron.get_next_fire_time(None, _parse(started.at))
        grace = dt.timedelta(hours=config.schedule.misfire_grace_hours)
        if expected is not None and now > expected + grace:
            out.append(
                Finding(
                    "critical",
                    "no_recent_run",
                    f"no run since {started.at}, although the deposit schedule "
                    f"({config.schedule.deposit}) expected one at {expected.isoformat()}",
                )
            )
    return out


def _batch_findings(store: StorePort, now: dt.datetime) -> list[Finding]:
    limit = _stamp(now - STUCK_AFTER)
    return [
        Finding(
            "critical",
            "batch_stuck",
            f"batch {b.name} has been {b.status} since {b.updated_at} (more than a day)",
        )
        for b in store.batches(BatchStatus.BUILT, BatchStatus.UPLOADING)
        if b.updated_at < limit
    ]


def check_result(found: list[Finding]) -> dict[str, Any]:
    """The JSON of ``status --check``: worst level, its exit code, every finding."""
    worst = (
        "critical" if any(f.level == "critical" for f in found) else ("warning" if found else "ok")
    )
    return {
        "status": worst,
        "exit_code": EXIT_CODES[worst],
        "findings": [asdict(f) | {"line": f.line()} for f in found],
    }
