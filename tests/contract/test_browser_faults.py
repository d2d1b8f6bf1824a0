"""PlaywrightPortal against the replica's injected faults, in real Chromium.

Faults are switched off from the client's own wait between attempts (the injectable
``sleep``), so "fails, then works" needs no timing guess.
"""

from __future__ import annotations

import socket
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from portal.base import DepositState, DocumentKind
from portal.errors import (
    DepositRefused,
    LoginFailed,
    PortalError,
    PortalUnavailable,
    ProfileMismatch,
)
from portal.evidence import SCREENSHOT_NAME, TRACE_NAME
from portal.profile import PortalProfile
from tests.contract.helpers import browser_portal
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser


def _heal(replica: SandboxHandle, waits: list[float], **faults: Any) -> Callable[[float], None]:
    """A ``sleep`` that records the wait and switches the given faults back."""

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        replica.set_faults(**faults)

    return sleep


def _assert_evidence(evidence: tuple[Path, ...], root: Path) -> None:
    names = {path.name for path in evidence}
    assert {SCREENSHOT_NAME, TRACE_NAME} <= names
    for path in evidence:
        assert path.is_file()
        assert path.is_relative_to(root)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    trace = next(path for path in evidence if path.name == TRACE_NAME)
    with zipfile.ZipFile(trace) as archive:
        assert any(name.endswith(".trace") for name in archive.namelist())


def _evidence_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_browser_http_500_then_success(replica: SandboxHandle, tmp_path: Path) -> None:
    """HTTP 500 answers are retried after a wait; the failed attempt leaves 0600 evidence."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=_heal(replica, waits, error_rate=0.0))
    with portal:
        portal.login()
        replica.set_faults(error_rate=1.0)
        try:
            history = portal.history()
        finally:
            replica.set_faults(error_rate=0.0)
    assert isinstance(history, list)
    assert len(waits) == 1
    files = _evidence_files(tmp_path / "evidence")
    _assert_evidence(tuple(files), tmp_path / "evidence")


def test_browser_http_500_gives_up_with_evidence(replica: SandboxHandle, tmp_path: Path) -> None:
    """A portal that keeps failing ends in PortalUnavailable after the configured attempts."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append, retry_attempts=2)
    with portal:
        portal.login()
        replica.set_faults(error_rate=1.0)
        try:
            with pytest.raises(
                PortalUnavailable, match=r"HTTP 500.*gave up after 2 attempt"
            ) as info:
                portal.history()
        finally:
            replica.set_faults(error_rate=0.0)
    assert len(waits) == 1
    _assert_evidence(info.value.evidence, tmp_path / "evidence")


def test_browser_maintenance_then_success(replica: SandboxHandle, tmp_path: Path) -> None:
    """A maintenance page is transient: the next attempt, at its announced end, succeeds."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=_heal(replica, waits, maintenance_for_s=0))
    with portal:
        portal.login()
        replica.set_faults(maintenance_for_s=90)
        try:
            history = portal.history()
        finally:
            replica.set_faults(maintenance_for_s=0)
    assert isinstance(history, list)
    assert len(waits) == 1
    assert 60 < waits[0] <= 90  # waited until the end the page gives
    shots = [p for p in _evidence_files(tmp_path / "evidence") if p.name == SCREENSHOT_NAME]
    assert len(shots) == 1


def _wait_until_session_expired(replica: SandboxHandle, cookies: list[Any]) -> None:
    """Poll the replica with the browser's cookies until it sends them to the login page."""
    header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        request = urllib.request.Request(  # noqa: S310 - the local replica
            replica.url + "/espace-prive/accueil", headers={"Cookie": header}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            if "Mot de passe" in response.read().decode():
                return
        time.sleep(0.1)
    raise AssertionError("the replica never expired the session")


def test_browser_expired_session_renewed(replica: SandboxHandle, tmp_path: Path) -> None:
    """An expired session is detected (login form) and renewed within the same attempt."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append)
    with portal:
        portal.login()
        replica.set_faults(session_max_age_s=3.0)
        try:
            _wait_until_session_expired(replica, portal.page.context.cookies())
            history = portal.history()
        finally:
            replica.set_faults(session_max_age_s=None)
    assert isinstance(history, list)
    assert waits == []  # renewed in the same attempt, no retry
    assert _evidence_files(tmp_path / "evidence") == []


def test_browser_stored_session_reused(replica: SandboxHandle, tmp_path: Path) -> None:
    """The session is kept 0600 in the work dir and the next run uses it without logging in."""
    with browser_portal(replica, tmp_path) as portal:
        portal.login()
    sessions = list((tmp_path / "work").glob("session-*.json"))
    assert len(sessions) == 1
    assert sessions[0].stat().st_mode & 0o777 == 0o600
    with browser_portal(replica, tmp_path, password="wrong-would-fail") as portal:
        portal.login()  # would raise LoginFailed if it typed the wrong password
        portal.logout()
    assert not sessions[0].exists()


def test_browser_lost_confirmation_not_uploaded_twice(
    replica: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path]
) -> None:
    """Upload stored, confirmation answered 500: the history shows the row; one upload only."""
    path = deposit_file()
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append)
    with portal:
        portal.login()
        replica.set_faults(fail_upload_confirmation=True)
        try:
            result = portal.deposit(path)
        finally:
            replica.set_faults(fail_upload_confirmation=False)
    assert result.uploaded is True
    assert result.entry.file_name == path.name
    assert result.entry.state is DepositState.PROCESSING
    assert [d["file_name"] for d in replica.deposits()].count(path.name) == 1
    assert waits == []  # settled from the history within the same attempt (issue 11)
    shots = [p for p in _evidence_files(tmp_path / "evidence") if p.name == SCREENSHOT_NAME]
    assert len(shots) == 1  # the error page is kept as evidence all the same


def test_browser_refused_file_is_permanent(replica: SandboxHandle, tmp_path: Path) -> None:
    """A file the portal refuses raises DepositRefused with its message, without retrying."""
    path = tmp_path / "lot.txt"
    path.write_text("pas du XML")
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append)
    with portal, pytest.raises(DepositRefused, match=r"extension \.xml") as info:
        portal.deposit(path)
    assert waits == []
    assert SCREENSHOT_NAME in {p.name for p in info.value.evidence}
    assert all(d["file_name"] != "lot.txt" for d in replica.deposits())


def test_browser_profile_mismatch_is_permanent(replica: SandboxHandle, tmp_path: Path) -> None:
    """A label the pages do not have is a ProfileMismatch naming it, not a retry loop."""
    profile = PortalProfile(history_link_label="Mes dépôts")
    waits: list[float] = []
    portal = browser_portal(
        replica, tmp_path, sleep=waits.append, profile=profile, action_timeout_s=3.0
    )
    with portal, pytest.raises(ProfileMismatch, match="Mes dépôts"):
        portal.history()
    assert waits == []


def test_browser_blocks_requests_outside_portal(replica: SandboxHandle, tmp_path: Path) -> None:
    """A page's request to another origin is aborted by the client; the portal's go through."""
    with browser_portal(replica, tmp_path) as portal:
        portal.login()
        outcome = portal.page.evaluate(
            """async () => {
                const out = {};
                for (const url of ['http://example.invalid/x', '/static/sandbox.css']) {
                    try { out[url] = (await fetch(url)).status; }
                    catch (e) { out[url] = 'blocked'; }
                }
                return out;
            }"""
        )
    assert outcome == {"http://example.invalid/x": "blocked", "/static/sandbox.css": 200}


def test_browser_unreachable_portal_is_transient(tmp_path: Path, replica: SandboxHandle) -> None:
    """Nothing listening at the portal address is PortalUnavailable after the attempts."""
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    portal = browser_portal(
        replica, tmp_path, sleep=waits.append, base_url=f"http://127.0.0.1:{port}", retry_attempts=2
    )
    with portal, pytest.raises(PortalUnavailable, match="ERR_CONNECTION_REFUSED") as info:
        portal.login()
    assert len(waits) == 1
    assert isinstance(info.value, PortalError)


def test_browser_timeout_then_success(replica: SandboxHandle, tmp_path: Path) -> None:
    """A page slower than the action timeout is a transient failure, retried."""
    waits: list[float] = []
    portal = browser_portal(
        replica, tmp_path, sleep=_heal(replica, waits, latency_ms=0), action_timeout_s=1.0
    )
    with portal:
        portal.login()
        replica.set_faults(latency_ms=2500)
        try:
            history = portal.history()
        finally:
            replica.set_faults(latency_ms=0)
    assert isinstance(history, list)
    assert waits  # at least one attempt timed out (a late answer may spoil a second one)
    assert list((tmp_path / "evidence").rglob(SCREENSHOT_NAME))


def test_browser_second_factor_stops_login(tmp_path: Path) -> None:
    """A one-time-code step after the password is a LoginFailed for the operator, not a retry."""
    waits: list[float] = []
    with running_sandbox(tmp_path / "otp-replica", otp_enabled=True) as otp_replica:
        portal = browser_portal(otp_replica, tmp_path, sleep=waits.append)
        with portal, pytest.raises(LoginFailed, match="second step") as info:
            portal.login()
    assert waits == []
    assert [p.name for p in info.value.evidence] == [SCREENSHOT_NAME]  # no trace before login


def test_browser_inline_document_fetched_with_cookies(
    replica: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path]
) -> None:
    """A receipt shown in the page instead of downloaded is fetched from its link."""
    path = deposit_file()
    portal = browser_portal(replica, tmp_path, download_start_timeout_s=1.0)
    with portal:
        portal.deposit(path)
        portal.page.route(
            "**/accuse-reception",
            lambda route: route.fulfill(
                status=200,
                body="Accusé de réception affiché dans la page",
                headers={"Content-Type": "text/plain; charset=utf-8"},
            ),
        )
        saved = portal.fetch_document(path.name, DocumentKind.RECEIPT, tmp_path / "docs")
    stored = next(d for d in replica.server.store.deposits() if d.file_name == path.name)
    expected = (replica.data_dir / stored.receipt_path).read_bytes()
    assert saved.path.read_bytes() == expected  # the server's bytes, fetched with our cookies
    assert saved.path.suffix == ".xml"
