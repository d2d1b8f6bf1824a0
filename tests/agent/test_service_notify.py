"""`accrochage run` as a real process: notifications between runs, heartbeat, status page."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.config import AgentSettings, Config, load_config
from agent.health import HEARTBEAT
from agent.paths import AgentPaths
from agent.schedule import Jobs, _status_page
from agent.store import Store
from portal.fake import FakePortal
from tests.agent.helpers import factory
from tests.notify_receiver import running_receiver

pytestmark = pytest.mark.slow
ACCROCHAGE = Path(sys.executable).with_name("accrochage")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)  # polling interval, bounded by the deadline
    raise AssertionError(f"timed out waiting for {what}")


def test_service_sends_between_runs_and_serves_the_page(tmp_path: Path) -> None:
    """The service's notify job sends a pending event, notes its heartbeat; the page is served."""
    port = _free_port()
    with running_receiver() as receiver:
        config_path = tmp_path / "accrochage.toml"
        config_path.write_text(
            f'[agent]\ndata_dir = "data"\nstatus_port = {port}\n'
            f'[notify]\nurls = ["{receiver.json_url}"]\ninterval_minutes = 0.05\n'
            '[portal]\nusername = "alice"\n'
            '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\n',
            encoding="utf-8",
        )
        config = load_config(config_path)
        with Store.open(AgentPaths.from_config(config).db) as store:
            store.add_event("import_failed", "broken.csv: no recognisable header", level="error")
        env = {
            "ACCROCHAGE_CONFIG": str(config_path),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        }
        # `run` refuses to start without its password (exit 78): store one first.
        subprocess.run(
            [str(ACCROCHAGE), "credentials", "set"],
            env=env,
            input="pw\n",
            text=True,
            capture_output=True,
            check=True,
        )
        service = subprocess.Popen(
            [str(ACCROCHAGE), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            _wait(receiver.messages, "the notification")
            assert receiver.kinds() == ["file_not_imported"]
            assert receiver.messages()[0]["title"] == "Fichier non importé : broken.csv"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                page = response.read().decode("utf-8")
            assert "<h2>Échéances</h2>" in page
            status = subprocess.run(
                [str(ACCROCHAGE), "status", "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            service_view = json.loads(status.stdout)["service"]
            assert service_view["running"] is True and service_view["pid"] == service.pid
            seen = service_view["last_seen"]
            assert seen is not None
            with Store.open(AgentPaths.from_config(config).db) as store:
                _wait(lambda: store.state(HEARTBEAT) != seen, "a later notify tick")
        finally:
            service.send_signal(signal.SIGTERM)
            output = service.communicate(timeout=60)[0].decode()
        assert service.returncode == 0, output
        assert len(receiver.messages()) == 1  # sent once, not again at the later ticks


def test_service_runs_without_page_when_port_taken(tmp_path: Path) -> None:
    """A status_port already in use: no page, an error event saying why; no crash."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = Config(agent=AgentSettings(data_dir=tmp_path / "data", status_port=port))
        jobs = Jobs(config, factory(FakePortal()), threading.Event())  # type: ignore[arg-type]
        assert _status_page(jobs) is None
    with Store.open(AgentPaths.from_config(config).db) as store:
        [event] = store.events()
    assert (event.kind, event.level) == ("status_page_failed", "error")
    assert f"cannot listen on 127.0.0.1:{port}" in event.message
