"""One contract, two implementations: FakePortal in memory, PlaywrightPortal against the replica.

Every test here runs twice (``fake`` and ``browser``); the browser variant drives the system
Chromium against the real replica server over HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import pytest
from lxml import etree

from portal.base import DepositState, DocumentKind, Portal
from portal.errors import DocumentNotAvailable, LoginFailed
from portal.fake import FakePortal
from portal.profile import PortalProfile
from tests.contract.conftest import SLOW_PROCESSING_S
from tests.contract.helpers import browser_portal
from tests.sandbox_server import SandboxHandle


class Harness(Protocol):
    """What a contract test needs from either side."""

    def portal(
        self, *, password: str | None = None, profile: PortalProfile | None = None
    ) -> AbstractContextManager[Portal]:
        """A client (right password and default profile unless told otherwise)."""

    def process(self, file_name: str) -> bytes:
        """Let the portal finish processing ``file_name``; return the report it holds."""

    def uploads_of(self, file_name: str) -> int:
        """How many times the portal received ``file_name``."""


class FakeHarness:
    """The in-memory side."""

    def __init__(self, report: bytes) -> None:
        self.fake = FakePortal(password="right-password")
        self.report = report

    def portal(
        self, *, password: str | None = None, profile: PortalProfile | None = None
    ) -> AbstractContextManager[Portal]:
        provider = (lambda: password) if password is not None else None
        return self.fake.client(profile=profile, password_provider=provider)

    def process(self, file_name: str) -> bytes:
        self.fake.process(file_name, self.report, DepositState.PROCESSED)
        return self.report

    def uploads_of(self, file_name: str) -> int:
        return self.fake.uploads.count(file_name)


class BrowserHarness:
    """Real Chromium against the real replica."""

    def __init__(self, replica: SandboxHandle, tmp_path: Path) -> None:
        self.replica = replica
        self.tmp_path = tmp_path

    def portal(
        self, *, password: str | None = None, profile: PortalProfile | None = None
    ) -> AbstractContextManager[Portal]:
        return browser_portal(
            self.replica, self.tmp_path, password=password, profile=profile or PortalProfile()
        )

    def process(self, file_name: str) -> bytes:
        self.replica.set_faults(processing_delay_s=0)
        try:
            self.replica.wait_for_status(file_name)
        finally:
            self.replica.set_faults(processing_delay_s=SLOW_PROCESSING_S)
        stored = next(d for d in self.replica.server.store.deposits() if d.file_name == file_name)
        assert stored.report_path is not None
        return (self.replica.data_dir / stored.report_path).read_bytes()

    def uploads_of(self, file_name: str) -> int:
        return sum(1 for d in self.replica.deposits() if d["file_name"] == file_name)


@pytest.fixture(params=["fake", pytest.param("browser", marks=pytest.mark.browser)])
def harness(request: pytest.FixtureRequest, tmp_path: Path, shared_cdc: Path) -> Iterator[Harness]:
    """The implementation under test."""
    if request.param == "fake":
        report = (shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml").read_bytes()
        yield FakeHarness(report)
    else:
        yield BrowserHarness(request.getfixturevalue("replica"), tmp_path)


def test_contract_login_ok(harness: Harness) -> None:
    """The right password logs in and the history can be read."""
    with harness.portal() as portal:
        portal.login()
        assert isinstance(portal.history(), list)
        portal.logout()


def test_contract_login_wrong_password(harness: Harness) -> None:
    """A wrong password is a permanent LoginFailed, not retried as transient."""
    with harness.portal(password="not-the-password") as portal, pytest.raises(LoginFailed):
        portal.login()


def test_contract_deposit_confirmed_processing(
    harness: Harness, deposit_file: Callable[[], Path]
) -> None:
    """A deposit returns its own history row, still being processed, with a receipt."""
    path = deposit_file()
    with harness.portal() as portal:
        result = portal.deposit(path)
    assert result.uploaded is True
    assert result.entry.file_name == path.name
    assert result.entry.state is DepositState.PROCESSING
    assert result.entry.receipt_available is True
    assert result.entry.report_available is False
    assert harness.uploads_of(path.name) == 1


def test_contract_second_deposit_uploads_nothing(
    harness: Harness, deposit_file: Callable[[], Path]
) -> None:
    """Depositing a name already in the history sends nothing and keeps one row."""
    path = deposit_file()
    with harness.portal() as portal:
        first = portal.deposit(path)
    with harness.portal() as portal:
        second = portal.deposit(path)
        third = portal.deposit(path)
        rows = [e for e in portal.history() if e.file_name == path.name]
    assert first.uploaded is True
    assert (second.uploaded, third.uploaded) == (False, False)
    assert second.entry.file_name == path.name
    assert len(rows) == 1
    assert harness.uploads_of(path.name) == 1


def test_contract_history_lists_deposits(
    harness: Harness, deposit_file: Callable[[], Path]
) -> None:
    """Every deposit appears in the history and find_deposit finds it; unknown names do not."""
    paths = [deposit_file(), deposit_file()]
    with harness.portal() as portal:
        for path in paths:
            portal.deposit(path)
        names = [entry.file_name for entry in portal.history()]
        found = portal.find_deposit(paths[0].name)
        missing = portal.find_deposit("never-deposited.xml")
    assert {p.name for p in paths} <= set(names)
    assert found is not None
    assert found.file_name == paths[0].name
    assert missing is None


def test_contract_fetch_receipt_then_report(
    harness: Harness, deposit_file: Callable[[], Path], tmp_path: Path
) -> None:
    """The receipt is there at once; the report only after processing; both 0600 with SHA-256."""
    path = deposit_file()
    docs = tmp_path / "docs"
    with harness.portal() as portal:
        portal.deposit(path)
        receipt = portal.fetch_document(path.name, DocumentKind.RECEIPT, docs)
        with pytest.raises(DocumentNotAvailable):
            portal.fetch_document(path.name, DocumentKind.REPORT, docs)
        with pytest.raises(DocumentNotAvailable):
            portal.fetch_document("never-deposited.xml", DocumentKind.RECEIPT, docs)
    expected_report = harness.process(path.name)
    with harness.portal() as portal:
        entry = portal.find_deposit(path.name)
        report = portal.fetch_document(path.name, DocumentKind.REPORT, docs)
    assert entry is not None
    assert entry.report_available is True
    assert entry.state is not DepositState.PROCESSING
    assert receipt.kind is DocumentKind.RECEIPT
    assert receipt.size > 0
    assert receipt.sha256 == hashlib.sha256(receipt.path.read_bytes()).hexdigest()
    assert report.path.read_bytes() == expected_report
    assert report.sha256 == hashlib.sha256(expected_report).hexdigest()
    assert report.size == len(expected_report)
    assert etree.fromstring(expected_report).tag == "rapport"
    for saved in (receipt, report):
        assert saved.path.parent == docs
        assert saved.path.stat().st_mode & 0o777 == 0o600
    assert receipt.path != report.path


def test_contract_unknown_status_label(harness: Harness, deposit_file: Callable[[], Path]) -> None:
    """A status the profile does not map is UNKNOWN with its label; never guessed (issue 11)."""
    path = deposit_file()
    with harness.portal() as portal:
        portal.deposit(path)
    reduced = PortalProfile(
        status_labels={"Traité avec succès": DepositState.PROCESSED},
        keep_default_status_labels=False,
    )
    with harness.portal(profile=reduced) as portal:
        entries = {entry.file_name: entry for entry in portal.history()}
        found = portal.find_deposit(path.name)
    assert entries[path.name] == found
    assert found is not None
    assert (found.status_label, found.state) == ("En cours de traitement", DepositState.UNKNOWN)
