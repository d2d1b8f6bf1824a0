"""FakePortal's own test hooks (the shared behaviour is in tests/contract)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from portal.base import DepositState, DocumentKind
from portal.errors import DepositRefused, LoginFailed, PortalUnavailable
from portal.fake import FakePortal


def _xml(tmp_path: Path, name: str = "lot-001.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(b"<?xml version='1.0'?><flux/>")
    return path


def test_fake_portal_requires_context_manager(tmp_path: Path) -> None:
    """Calling the fake outside ``with`` is a programming error, like the browser client."""
    with pytest.raises(RuntimeError, match="context manager"):
        FakePortal().history()


def test_fake_portal_fail_next_raises_once_for_that_method(tmp_path: Path) -> None:
    """A queued failure hits the next call of its method only, then calls succeed again."""
    portal = FakePortal()
    portal.fail_next(PortalUnavailable("down"), method="deposit")
    with portal:
        assert portal.history() == []
        with pytest.raises(PortalUnavailable, match="down"):
            portal.deposit(_xml(tmp_path))
        assert portal.uploads == []
        assert portal.deposit(_xml(tmp_path)).uploaded is True
    assert portal.uploads == ["lot-001.xml"]


def test_fake_portal_lost_confirmation_then_retry_uploads_once(tmp_path: Path) -> None:
    """An upload stored but unconfirmed is found in the history by the retry: no second upload."""
    portal = FakePortal()
    portal.lose_next_confirmation()
    with portal, pytest.raises(PortalUnavailable):
        portal.deposit(_xml(tmp_path))
    with portal:
        result = portal.deposit(_xml(tmp_path))
    assert result.uploaded is False
    assert result.entry.state is DepositState.PROCESSING
    assert portal.uploads == ["lot-001.xml"]


def test_fake_portal_process_stores_report_for_fetch(tmp_path: Path) -> None:
    """``process`` sets the state and the report that fetch_document saves, owner-only."""
    portal = FakePortal()
    report = b"<rapport><nomFichier>lot-001.xml</nomFichier></rapport>"
    with portal:
        portal.deposit(_xml(tmp_path))
        with pytest.raises(PortalUnavailable, match="no accuse_traitement"):
            portal.fetch_document("lot-001.xml", DocumentKind.REPORT, tmp_path / "docs")
        portal.process("lot-001.xml", report, DepositState.PROCESSED_WITH_ERRORS)
        entry = portal.find_deposit("lot-001.xml")
        saved = portal.fetch_document("lot-001.xml", DocumentKind.REPORT, tmp_path / "docs")
    assert entry is not None
    assert entry.state is DepositState.PROCESSED_WITH_ERRORS
    assert entry.status_label == "Traité avec erreurs"
    assert entry.report_available is True
    assert saved.path.read_bytes() == report
    assert saved.sha256 == hashlib.sha256(report).hexdigest()
    assert saved.path.stat().st_mode & 0o777 == 0o600


def test_fake_portal_wrong_password_from_provider(tmp_path: Path) -> None:
    """The password comes from the provider; a wrong one is LoginFailed on any operation."""
    portal = FakePortal(password="right", password_provider=lambda: "wrong")
    with portal, pytest.raises(LoginFailed):
        portal.history()


def test_fake_portal_refuses_non_xml(tmp_path: Path) -> None:
    """Like the portal, only .xml files are accepted; nothing is stored."""
    path = tmp_path / "lot.csv"
    path.write_text("a,b")
    portal = FakePortal()
    with portal:
        with pytest.raises(DepositRefused, match=r"\.xml"):
            portal.deposit(path)
        assert portal.history() == []
    assert ("deposit", "lot.csv") in portal.calls
