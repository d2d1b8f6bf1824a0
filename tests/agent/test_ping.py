"""[notify] ping_url: start, success and fail pings of every run, to a real local receiver."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest

from agent.config import AgentSettings, Config
from agent.notify_settings import NotifySettings
from agent.ping import Pinger, ping_target
from portal.errors import LoginFailed
from portal.fake import FakePortal
from tests.agent.helpers import inbox, quiet_run, row, write_export
from tests.notify_receiver import running_receiver

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _run(config: Config, fake: FakePortal) -> bool:
    return quiet_run(config, fake, NOW).ok


def _config(tmp_path: Path, ping_url: str) -> Config:
    return Config(
        agent=AgentSettings(data_dir=tmp_path / "data"),
        notify=NotifySettings(ping_url=ping_url),
    )


def test_ping_start_then_success_or_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A good run pings /start then the URL; a failed one /start then /fail, with its summary."""
    monkeypatch.setattr(
        "agent.deposit.config_secrets", lambda _config: {"uuid": "abc-123"}.__getitem__
    )
    with running_receiver() as receiver:
        config = _config(tmp_path, f"{receiver.http_url}/ping/{{secret:uuid}}")
        fake = FakePortal(clock=lambda: NOW)
        write_export(inbox(config) / "a.csv", [row("A1")])
        assert _run(config, fake)
        write_export(inbox(config) / "b.csv", [row("B2")])
        fake.fail_next(LoginFailed("refusé"))
        assert not _run(config, fake)
        assert [r.path for r in receiver.received] == [
            "/ping/abc-123/start",
            "/ping/abc-123",
            "/ping/abc-123/start",
            "/ping/abc-123/fail",
        ]
        assert receiver.received[1].body.startswith(b"imported 1 file(s)")
        assert b"errors 1" in receiver.received[3].body


def test_ping_to_a_dead_monitor_never_fails_the_run(tmp_path: Path) -> None:
    """Nothing listens on the ping URL: the run still succeeds."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nobody listens there
    config = _config(tmp_path, f"http://127.0.0.1:{port}/ping")
    write_export(inbox(config) / "a.csv", [row("A1")])
    assert _run(config, FakePortal(clock=lambda: NOW))


def test_ping_targets_healthchecks_shape() -> None:
    """success is the URL itself, start and fail are sub-paths; no ping URL, no request."""
    assert ping_target("https://hc-ping.com/u/", "start", str) == "https://hc-ping.com/u/start"
    assert ping_target("https://hc-ping.com/u", "success", str) == "https://hc-ping.com/u"
    assert ping_target("https://hc-ping.com/u", "fail", str) == "https://hc-ping.com/u/fail"
    sent: list[str] = []
    pinger = Pinger(None, str, post=lambda url, _body: sent.append(url))
    pinger.start()
    pinger.finish(ok=True, summary="x")
    assert sent == []
