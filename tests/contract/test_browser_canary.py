"""The portal password never lands in a file the client writes (traces, screenshots, state).

A whole run with a canary password: login, deposit, receipt, a session renewal, a failed
attempt that saves a trace, the report. Then every file under the client's folders, and every
member of every zip (traces), is searched for the canary. A control test shows the search
does find the password in a trace recorded the wrong way (tracing before login).
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from portal.base import DocumentKind
from portal.chromium import launch_options
from portal.evidence import TRACE_NAME
from tests.contract.helpers import browser_portal, replica_settings
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser

CANARY = "canary-Pw-7f3e9d"


@pytest.fixture(scope="module")
def canary_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A replica whose account password is the canary."""
    root = tmp_path_factory.mktemp("canary-replica")
    with running_sandbox(root, password=CANARY, processing_delay_s=600) as handle:
        yield handle


def _blobs(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``root``, and every member of the zip files among them."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)


def _containing(root: Path, secret: str) -> list[str]:
    needles = {secret.encode(), secret.encode("utf-16-le")}
    return [name for name, data in _blobs(root) if any(n in data for n in needles)]


def test_canary_search_finds_a_planted_secret(tmp_path: Path) -> None:
    """The search looks inside zip members, so a hidden canary cannot slip through."""
    with zipfile.ZipFile(tmp_path / "trace.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0-trace.trace", f'{{"value": "{CANARY}"}}' * 50)
    (tmp_path / "clean.txt").write_text("nothing here")
    assert _containing(tmp_path, CANARY) == [f"{tmp_path / 'trace.zip'}!0-trace.trace"]


def test_canary_trace_started_before_login_would_leak(
    canary_replica: SandboxHandle, tmp_path: Path
) -> None:
    """Control: a trace recorded while typing the password does contain it."""
    settings = replica_settings(canary_replica)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(settings, tmp_path))
        context = browser.new_context()
        context.tracing.start(screenshots=True, snapshots=True)
        page = context.new_page()
        page.goto(canary_replica.login_url)
        page.get_by_label("Mot de passe", exact=True).fill(CANARY)
        context.tracing.stop(path=str(tmp_path / "bad" / TRACE_NAME))
        browser.close()
    assert _containing(tmp_path / "bad", CANARY)


def test_canary_password_in_no_file_or_log(
    canary_replica: SandboxHandle,
    tmp_path: Path,
    deposit_file: Callable[[], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A whole run, failure and session renewal included, writes the password nowhere."""
    caplog.set_level(logging.DEBUG)
    path = deposit_file()
    docs = tmp_path / "docs"

    def heal(_seconds: float) -> None:
        canary_replica.set_faults(error_rate=0.0)

    portal = browser_portal(canary_replica, tmp_path, password=CANARY, sleep=heal)
    with portal:
        portal.login()
        assert portal.deposit(path).uploaded is True
        portal.page.context.clear_cookies()  # the portal forgets us: log in again mid-run
        portal.fetch_document(path.name, DocumentKind.RECEIPT, docs)
        canary_replica.set_faults(error_rate=1.0)
        portal.history()  # fails once (trace saved), then heals
        canary_replica.set_faults(processing_delay_s=0)
        canary_replica.wait_for_status(path.name)
        portal.fetch_document(path.name, DocumentKind.REPORT, docs)
    traces = list((tmp_path / "evidence").rglob(TRACE_NAME))
    assert traces, "the failed attempt should have saved a trace to search"
    assert list((tmp_path / "work").glob("session-*.json"))
    for folder in ("work", "evidence", "docs"):
        assert _containing(tmp_path / folder, CANARY) == [], folder
    assert "logging in again" in caplog.text  # the renewal really happened mid-run
    assert CANARY not in caplog.text
