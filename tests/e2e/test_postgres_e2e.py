"""The agent end to end on a PostgreSQL store: real subprocesses, real Chromium, the real
replica over HTTP, the session's throwaway PostgreSQL cluster.

- the crash tests (killed at each workflow step, then run again) once on PostgreSQL;
- two services on two "machines" (own config and keyring, one shared data directory, one
  store): the second stands by, the first deposits; the first is killed (kill -9, its Chromium
  too), the second takes over and deposits the next export: every passage exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent.rows import Event
from agent.store import PostgresStore
from tests.agent.helpers import write_export
from tests.e2e.conftest import (
    ACCROCHAGE,
    Agent,
    check_killed_and_restarted,
    make_agent,
    ours,
    rows_for,
    wait_until,
)
from tests.sandbox_server import SandboxHandle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEVER = "0 0 1 1 *"


def _on_postgresql(
    agent: Agent, url: str, *, data_dir: Path | None = None, cron: str = ""
) -> Agent:
    """Point the agent's config at the PostgreSQL store (and a data directory, a schedule)."""
    path = agent.root / "accrochage.toml"
    text = path.read_text(encoding="utf-8")
    if data_dir is not None:
        text = text.replace('data_dir = "data"', f'data_dir = "{data_dir}"')
    path.write_text(f'{text}{cron}\n[store]\nurl = "{url}"\n', encoding="utf-8")
    return agent


@pytest.mark.parametrize(
    "crash_at", ["after_build", "during_upload", "after_upload", "during_report"]
)
def test_e2e_killed_and_restarted_on_postgresql(
    tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path, pg_url: str, crash_at: str
) -> None:
    agent = _on_postgresql(make_agent(tmp_path / "agent", sandbox, keyring_files), pg_url)
    check_killed_and_restarted(agent, sandbox, crash_at)


def _events(url: str) -> list[Event]:
    with PostgresStore.open(url) as store:
        return store.events(limit=10_000)


@contextmanager
def _service(agent: Agent) -> Iterator[subprocess.Popen[bytes]]:
    """`accrochage run` in its own process group (its Chromium dies with it on kill -9)."""
    with (agent.root / "service.log").open("wb") as out:
        process = subprocess.Popen(
            [str(ACCROCHAGE), "run"],
            env=agent.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _log(agent: Agent) -> str:
    return (agent.root / "service.log").read_text(encoding="utf-8", errors="replace")


def test_e2e_two_services_one_store_standby_takes_over(
    tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path, pg_url: str
) -> None:
    shared = tmp_path / "shared-data"
    shared.mkdir(mode=0o700)
    cron = f'deposit = "* * * * *"\ncollect = "* * * * *"\ndeadline_check = "{NEVER}"\n'
    machines = [
        _on_postgresql(
            make_agent(tmp_path / name, sandbox, keyring_files), pg_url, data_dir=shared, cron=cron
        )
        for name in ("machine-a", "machine-b")
    ]
    first, second = machines

    def accepted() -> int:
        done = first.json("status")
        return int(done["passages"].get("accepted", 0))

    with _service(first) as active:
        wait_until(
            "A's start", lambda: any(e.kind == "service_started" for e in _events(pg_url)), 240, 1.0
        )
        with _service(second) as standby:
            wait_until("B standing by", lambda: "standing by" in _log(second), 240, 1.0)
            assert f"pid {active.pid} holds the scheduler lock" in _log(second)
            write_export(shared / "inbox" / "first.csv", rows_for("TWO-A", 3))
            wait_until("A's deposit accepted", lambda: accepted() == 3, 240, 1.0)
            os.killpg(active.pid, signal.SIGKILL)  # A and its Chromium
            active.wait(timeout=30)
            wait_until(
                "B taking over",
                lambda: sum(e.kind == "service_started" for e in _events(pg_url)) == 2,
                240,
                1.0,
            )
            write_export(shared / "inbox" / "second.csv", rows_for("TWO-B", 3))
            wait_until("B's deposit accepted", lambda: accepted() == 6, 240, 1.0)
            standby.send_signal(signal.SIGTERM)
            assert standby.wait(timeout=180) == 0, _log(second)
    assert ours(sandbox, "TWO-") == {
        **{f"TWO-A-{i:03d}": 1 for i in range(3)},
        **{f"TWO-B-{i:03d}": 1 for i in range(3)},
    }
    assert "standing by" not in _log(first)
