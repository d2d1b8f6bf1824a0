"""The stored session file and the evidence folders: owner-only, robust to bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.evidence import TRACE_NAME, EvidenceRecorder
from portal.session_state import SessionStore


def test_session_store_is_owner_only_and_per_account(tmp_path: Path) -> None:
    """The state is written 0600 in a 0700 folder, one file per (portal, identifiant)."""
    store = SessionStore(tmp_path / "work", "http://127.0.0.1:1", "alice")
    assert store.existing() is None
    store.save({"cookies": [{"name": "session", "value": "abc"}], "origins": []})
    assert store.existing() == store.path
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "work").stat().st_mode & 0o777 == 0o700
    other = SessionStore(tmp_path / "work", "http://127.0.0.1:1", "bob")
    assert other.path != store.path
    assert other.existing() is None
    store.clear()
    assert store.existing() is None


def test_session_store_ignores_a_corrupt_file(tmp_path: Path) -> None:
    """A truncated state file is dropped (fresh login) instead of breaking the run."""
    store = SessionStore(tmp_path, "http://x", "alice")
    store.path.write_text("{not json")
    assert store.existing() is None
    assert not store.path.exists()


def test_evidence_capture_saves_trace_owner_only(tmp_path: Path) -> None:
    """A failed step gets its own 0700 folder named by time and step, with a 0600 trace."""
    recorder = EvidenceRecorder(
        tmp_path / "evidence", clock=lambda: datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    )

    def save_trace(path: Path) -> bool:
        path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
        return True

    first = recorder.capture("deposit lot/1", None, save_trace)
    second = recorder.capture("deposit lot/1", None, save_trace)
    assert [p.name for p in first] == [TRACE_NAME]
    assert first[0].parent.name == "20261126T140000.000000Z-deposit_lot_1"
    assert second[0].parent != first[0].parent  # same instant, still separate folders
    for path in (*first, *second):
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700


def test_evidence_capture_never_masks_the_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """If saving the trace itself fails, capture logs it and returns what it could save."""

    def broken(_path: Path) -> bool:
        raise RuntimeError("browser gone")

    assert EvidenceRecorder(tmp_path).capture("history", None, broken) == ()
    assert "could not save the trace: browser gone" in caplog.text


def test_evidence_capture_without_trace(tmp_path: Path) -> None:
    """No trace recorded (e.g. the login step): nothing is claimed."""
    assert EvidenceRecorder(tmp_path).capture("login", None, lambda _p: False) == ()
