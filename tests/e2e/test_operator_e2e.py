"""The operator's checks against the real replica: doctor, and a portal that is not there."""

from __future__ import annotations

import socket
import time

import pytest

from tests.e2e.conftest import CANARY_PASSWORD, Agent

pytestmark = pytest.mark.browser


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(text: str) -> dict[str, str]:
    """doctor's lines by check name: {name: "level detail"}."""
    found = {}
    for line in text.splitlines()[1:]:
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[0] in {"ok", "warn", "FAIL"}:
            found[parts[1]] = f"{parts[0]} {parts[2]}"
    return found


def test_doctor_on_a_ready_installation(agent: Agent) -> None:
    """Everything an unattended run needs is checked, one line each, no secret printed."""
    done = agent.run("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert list(lines) == [
        "config", "data-dir", "inbox", "keyring", "password", "chromium", "portal", "xsd",
        "timezone",
    ]  # fmt: skip
    for name in ("config", "keyring", "password", "chromium", "portal", "timezone"):
        assert lines[name].startswith("ok "), lines[name]
    assert lines["password"].startswith("ok stored for ")
    assert lines["xsd"].startswith("warn no imported XSD for schema 1.1.5")
    assert CANARY_PASSWORD not in done.stdout + done.stderr
    assert not (agent.data_dir / "agent.sqlite3").exists()


def test_unreachable_portal_is_said_at_once(agent: Agent) -> None:
    """A refused connection: doctor fails that line; credentials check stops after one try."""
    config = agent.root / "accrochage.toml"
    port = _closed_port()
    text = config.read_text(encoding="utf-8")
    start = text.index('base_url = "') + len('base_url = "')
    end = text.index('"', start)
    config.write_text(text[:start] + f"http://127.0.0.1:{port}" + text[end:], encoding="utf-8")
    url = f"http://127.0.0.1:{port}/espace-prive"

    doctor = agent.run("doctor")
    assert doctor.returncode == 1
    assert _lines(doctor.stdout)["portal"] == (
        f"FAIL cannot connect to {url}: connection refused (nothing listens there): check "
        "[portal] base_url and that the portal is up"
    )
    assert doctor.stdout.splitlines()[-1] == "1 check(s) failed: portal"

    started = time.monotonic()
    check = agent.run("credentials", "check")
    elapsed = time.monotonic() - started
    assert check.returncode == 1
    assert check.stderr == (
        f"Error: cannot connect to {url}: connection refused (nothing listens there) (one "
        f"attempt, nothing retried): check [portal] base_url = 'http://127.0.0.1:{port}' and "
        "that the portal is up\n"
    )
    assert not (agent.data_dir / "evidence").exists()  # no browser attempt at all
    assert elapsed < 60  # the retry policy alone would wait 70 s with default delays
