"""The single-instance lock in PostgreSQL: two agents on two machines sharing one store."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agent.config import AgentSettings, Config, StoreSettings
from agent.health import service_view
from agent.lock import SCHEDULER, SERVICE, WORK, AlreadyRunning
from agent.schedule import Jobs
from agent.store import open_store
from agent.store_lock import LockLost, agent_lock
from tests.conftest import ROOT

WAIT_S = 120  # generous: the machine may be loaded


class Child:
    """One agent process, its output lines read by a thread."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store_lock_child", url, str(data_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def next_line(self) -> str:
        return self.lines.get(timeout=WAIT_S)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT_S)


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.kill()


def test_the_standby_takes_over_when_the_active_agent_is_killed(
    pg_url: str, tmp_path: Path, children: list[Child]
) -> None:
    """Machine A's service is active; B's stands by naming A; kill -9 A: B takes over.

    Both use one data directory, as two machines sharing it over the network would: only the
    store's lock decides (a file lock there would refuse B instead of letting it stand by).
    """
    shared = tmp_path / "shared-data"
    first = Child(pg_url, shared)
    children.append(first)
    assert first.next_line() == "active"
    second = Child(pg_url, shared)
    children.append(second)
    standby = second.next_line()
    assert standby.startswith("standing by: accrochage: the service (accrochage run) on ")
    assert f"pid {first.proc.pid} holds the scheduler lock of the store" in standby
    assert second.lines.empty()  # still standing by while A lives
    first.kill()
    assert second.next_line() == "active"


def test_a_run_on_another_machine_is_refused_while_one_deposits(
    pg_url: str, tmp_path: Path
) -> None:
    """`deposit now` on machine B while machine A's run holds the work lock: refused, named."""

    def machine(name: str) -> Config:
        return Config(
            agent=AgentSettings(data_dir=tmp_path / name), store=StoreSettings(url=pg_url)
        )

    with (
        agent_lock(machine("a"), WORK, holder="a deposit run"),
        pytest.raises(AlreadyRunning, match=r"a deposit run on .* pid \d+ holds the work"),
        agent_lock(machine("b"), WORK, holder="`accrochage deposit now`"),
    ):
        pytest.fail("both machines hold the work lock")  # pragma: no cover
    with agent_lock(machine("b"), WORK, holder="`accrochage deposit now`"):
        pass  # free again once A's run ended


def test_status_sees_the_service_of_another_machine(pg_url: str, tmp_path: Path) -> None:
    """`accrochage status` on machine B says a service runs while A's holds the store's lock."""

    def machine(name: str) -> Config:
        return Config(
            agent=AgentSettings(data_dir=tmp_path / name), store=StoreSettings(url=pg_url)
        )

    now = dt.datetime.now(dt.UTC)
    with open_store(machine("b")) as store:
        assert service_view(store, machine("b"), now)["running"] is False
        with agent_lock(machine("a"), SCHEDULER, holder=SERVICE):
            view = service_view(store, machine("b"), now)
            assert (view["running"], view["pid"]) == (True, None)
        assert service_view(store, machine("b"), now)["running"] is False


def _drop_connections(url: str, like: str) -> int:
    """Terminate the store connections whose application_name matches ``like`` (as a
    PostgreSQL restart or a network cut would end them); how many."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name LIKE %s AND pid <> pg_backend_pid()",
            (like,),
        ).fetchall()
    return len(rows)


def test_a_lock_whose_connection_dropped_is_known_lost(pg_url: str, tmp_path: Path) -> None:
    """The lock's connection ends under the agent: its check says the lock is lost, and
    indeed another agent can take it now."""

    def machine(name: str) -> Config:
        return Config(
            agent=AgentSettings(data_dir=tmp_path / name), store=StoreSettings(url=pg_url)
        )

    with agent_lock(machine("a"), WORK, holder="machine a's run") as lock:
        lock.check()  # held
        assert _drop_connections(pg_url, "accrochage: machine a's run on %") == 1
        with pytest.raises(LockLost, match=r"the work lock of the store .* was lost"):
            lock.check()
        with agent_lock(machine("b"), WORK, holder="machine b's run") as other:
            other.check()  # what the lost lock guarded is open to another agent now


def test_a_run_that_lost_its_work_lock_stops_at_its_next_step(pg_url: str, tmp_path: Path) -> None:
    """A scheduled run whose work lock goes (its connection dropped after the import) stops
    at the next step, before any portal work, and the event log says why; the service's own
    lock, still held, keeps the service going."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path / "a", inbox_settle_s=0),
        store=StoreSettings(url=pg_url),
    )
    steps: list[str] = []

    def checkpoint(step: str) -> None:
        steps.append(step)
        if step == "after_import":
            assert _drop_connections(pg_url, "%scheduled deposit job%") == 1

    def no_portal() -> object:
        raise AssertionError("the portal must not be opened by a run without its lock")

    with agent_lock(config, SCHEDULER, holder=SERVICE) as service_lock:
        jobs = Jobs(
            config,
            no_portal,  # type: ignore[arg-type]
            threading.Event(),
            checkpoint=checkpoint,
            service_lock=service_lock,
        )
        jobs.deposit()
        assert steps == ["after_import"]  # the check before "after_build" stopped it
        assert not jobs.stop.is_set()
    with open_store(config) as store:
        events = {e.kind: e.message for e in store.events(limit=50)}
    assert "lock_lost" in events
    assert "the work lock of the store" in events["lock_lost"]


def test_a_service_that_lost_its_lock_stops(pg_url: str, tmp_path: Path) -> None:
    """The service's own lock goes: its next heartbeat notices, says so and stops the
    service, which then raises LockLost (the CLI exits: its restart stands by)."""
    config = Config(agent=AgentSettings(data_dir=tmp_path / "a"), store=StoreSettings(url=pg_url))
    stopped: list[bool] = []
    with agent_lock(config, SCHEDULER, holder=SERVICE) as service_lock:
        jobs = Jobs(config, None, threading.Event(), service_lock=service_lock)  # type: ignore[arg-type]
        jobs.shutdown = lambda: stopped.append(True)
        jobs.notify()
        assert not jobs.stop.is_set() and not stopped  # held: the heartbeat went on
        assert _drop_connections(pg_url, "accrochage: the service%") == 1
        jobs.notify()
        assert jobs.stop.is_set() and stopped == [True]
        assert jobs.lost is not None and "the scheduler lock" in jobs.lost
    with open_store(config) as store:
        kinds = [e.kind for e in store.events(limit=50)]
    assert "service_lock_lost" in kinds
