"""status --check (Nagios exit codes, one line per finding) and the service lines of status."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.config import load_config
from agent.health import HEARTBEAT, findings, next_runs
from agent.lifecycle import BatchStatus, PassageStatus
from agent.lock import SCHEDULER, instance_lock, lock_holder
from agent.paths import AgentPaths
from agent.store import Store
from tests.agent.conftest import new_passage

NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config whose data directory is in tmp_path (timezone UTC: dates match NOW's)."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\ntimezone = "UTC"\n', encoding="utf-8")
    return path


def store_at(config_path: Path, moment: dt.datetime = NOW) -> Store:
    """The store, stamping events at ``moment``."""
    db = AgentPaths.from_config(load_config(config_path)).db
    return Store.open(db, now=lambda: moment)


def check(config_path: Path, *extra: str) -> tuple[int, str]:
    """Run `status --check`."""
    result = CliRunner().invoke(cli, ["--config", str(config_path), "status", "--check", *extra])
    return result.exit_code, result.output


def _pending(store: Store, id_technique: str, deadline: dt.date) -> None:
    store.put_passage(new_passage(id_technique, deadline=deadline), status=PassageStatus.PENDING)


def _due(store: Store) -> None:
    _pending(store, "SOON", TODAY + dt.timedelta(days=5))


def _overdue(store: Store) -> None:
    _pending(store, "LATE", TODAY - dt.timedelta(days=1))


def _not_imported(store: Store) -> None:
    store.add_event("import_failed", "broken.csv: no recognisable header", level="error")


def _in_batch(store: Store, id_technique: str, name: str) -> int:
    """A passage (deadline far away) built into batch ``name``; returns its id."""
    pid = store.put_passage(
        new_passage(id_technique, deadline=TODAY + dt.timedelta(days=60)),
        status=PassageStatus.PENDING,
    )
    store.add_batch(
        name=name,
        path=name,
        sha256="0",
        size=1,
        schema_version="1.1.5",
        id_flux="x",
        fingerprint="f",
        passage_ids=[pid],
    )
    return pid


def _rejected(store: Store) -> None:
    pid = _in_batch(store, "KO", "b.xml")
    for status in (PassageStatus.DEPOSITED, PassageStatus.REJECTED):
        store.set_passage_status(pid, status)


def _failed_run(message: str) -> Callable[[Store], None]:
    def setup(store: Store) -> None:
        store.add_event("run_started", "deposit run")
        store.add_event("portal_error", message, level="error")
        store.add_event("run_finished", "errors 1", level="error")

    return setup


def _stuck(store: Store) -> None:
    _in_batch(store, "S", "s.xml")
    store.set_batch_status(1, BatchStatus.UPLOADING)


def _not_seen(store: Store) -> None:
    store.set_state(HEARTBEAT, (NOW - dt.timedelta(hours=2)).isoformat(timespec="seconds"))


CASES: list[tuple[str, Callable[[Store], None], dt.timedelta, int, str]] = [
    ("due", _due, dt.timedelta(0), 1, "WARNING: 1 passage(s) due within 15 days"),
    (
        "not_imported",
        _not_imported,
        dt.timedelta(0),
        1,
        "file(s) not imported in the last 7 days: broken.csv",
    ),
    (
        "rejected",
        _rejected,
        dt.timedelta(0),
        1,
        "WARNING: 1 rejected passage(s) waiting for correction",
    ),
    ("overdue", _overdue, dt.timedelta(0), 2, "CRITICAL: 1 passage(s) past their 3-month deadline"),
    (
        "last_run_failed",
        _failed_run("portal: PortalUnavailable: HTTP 503"),
        dt.timedelta(0),
        2,
        "CRITICAL: last run failed at",
    ),
    (
        "login",
        _failed_run("portal: LoginFailed: mot de passe incorrect"),
        dt.timedelta(0),
        2,
        "CRITICAL: the portal refused the login",
    ),
    ("stuck", _stuck, dt.timedelta(days=2), 2, "CRITICAL: batch s.xml has been uploading since"),
    (
        "not_seen",
        _not_seen,
        dt.timedelta(0),
        2,
        "CRITICAL: the service (accrochage run) was last seen at",
    ),
    (
        "no_recent_run",
        lambda s: s.add_event("run_started", "deposit run"),
        dt.timedelta(days=3),
        2,
        "CRITICAL: no run since",
    ),
]


@pytest.mark.parametrize(
    ("setup", "age", "code", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_status_check_exit_code_per_state(
    config_path: Path, setup: Callable[[Store], None], age: dt.timedelta, code: int, line: str
) -> None:
    """Each state gives its exit code and its one line (stamped `age` ago)."""
    with store_at(config_path, NOW - age) as store:
        setup(store)
    exit_code, output = check(config_path)
    assert exit_code == code, output
    assert line in output
    assert all(out.startswith(("WARNING: ", "CRITICAL: ")) for out in output.splitlines())
    exit_json, raw = check(config_path, "--json")
    data = json.loads(raw)
    assert exit_json == code == data["exit_code"]
    assert [f["line"] for f in data["findings"]] == output.splitlines()


def test_status_check_healthy_is_zero(config_path: Path) -> None:
    """Nothing to report: exit 0 and one OK line; JSON says ok."""
    with store_at(config_path) as store:
        _pending(store, "FAR", TODAY + dt.timedelta(days=60))
        store.add_event("run_started", "deposit run")
        store.add_event("run_finished", "errors 0")
    assert check(config_path) == (0, "OK: nothing needs attention\n")
    assert json.loads(check(config_path, "--json")[1]) == {
        "status": "ok",
        "exit_code": 0,
        "findings": [],
    }


def test_status_check_critical_listed_before_warnings(config_path: Path) -> None:
    """Several findings: one line each, critical first, exit code of the worst."""
    with store_at(config_path) as store:
        _due(store)
        _overdue(store)
        _not_imported(store)
    code, output = check(config_path)
    assert code == 2
    assert [line.split(":")[0] for line in output.splitlines()] == [
        "CRITICAL",
        "WARNING",
        "WARNING",
    ]


def test_status_shows_service_runs_and_schedule(config_path: Path) -> None:
    """status gives last successful run, next runs and whether the service is running."""
    config = load_config(config_path)
    with store_at(config_path, NOW - dt.timedelta(hours=3)) as store:
        store.add_event("run_started", "deposit run")
        store.add_event("run_finished", "imported 1 file(s), errors 0")
    with store_at(config_path) as store:
        store.add_event("run_started", "deposit run")
        store.add_event("run_finished", "errors 1", level="error")
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["--config", str(config_path), "status", "--json"]).output)
    service = data["service"]
    assert service["running"] is False and service["pid"] is None
    assert service["last_successful_run"] == (NOW - dt.timedelta(hours=3)).isoformat(
        timespec="seconds"
    )
    assert service["last_run"]["ok"] is False
    assert set(service["next_runs"]) == {"deposit", "collect", "deadline-check"}
    assert service["next_runs"]["deposit"].endswith("T02:00+00:00")
    with instance_lock(config.agent.data_dir, SCHEDULER):
        assert lock_holder(config.agent.data_dir, SCHEDULER) is not None
        text = runner.invoke(cli, ["--config", str(config_path), "status"]).output
    assert "Service (accrochage run): running (pid " in text
    assert "Last successful run: " + service["last_successful_run"] in text
    assert "Next scheduled runs: deposit " in text
    assert lock_holder(config.agent.data_dir, SCHEDULER) is None


def test_next_runs_follow_the_schedule(config_path: Path) -> None:
    """Next runs are the cron expressions' next fire times in the agent's timezone."""
    config = load_config(config_path)
    after = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert next_runs(config, after) == {
        "deposit": "2026-03-03T02:00+00:00",
        "collect": "2026-03-02T10:30+00:00",
        "deadline-check": "2026-03-02T10:15+00:00",
    }


def test_findings_notification_destination_failing(config_path: Path) -> None:
    """A destination that keeps failing is a warning naming the error."""
    config = load_config(config_path)
    with store_at(config_path) as store:
        store.set_notify_cursor("abc", 0, error="connection refused")
        [finding] = findings(store, config, NOW)
    assert (finding.level, finding.code) == ("warning", "notify_failing")
    assert "connection refused" in finding.message
