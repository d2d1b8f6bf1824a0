"""Sorting inbox entries, and the settle time judged without waiting when it can be."""

from __future__ import annotations

import os
from pathlib import Path

from agent.inbox_scan import Clock, scan_inbox, settled


def _no_sleep(_seconds: float) -> None:
    raise AssertionError("no wait was needed")


def test_settled_old_file_ready_without_waiting(tmp_path: Path) -> None:
    """A file unchanged for longer than the settle time (by its mtime) is ready at once."""
    path = tmp_path / "export.csv"
    path.write_text("x", encoding="utf-8")
    os.utime(path, (0, 0))
    assert settled([path], settle_s=5, clock=Clock(sleep=_no_sleep)) == ([path], [])


def test_settled_file_gone_meanwhile_is_dropped(tmp_path: Path) -> None:
    """A file another agent took between the scan and the check is neither ready nor busy."""
    assert settled([tmp_path / "gone.csv"], settle_s=5, clock=Clock(sleep=_no_sleep)) == ([], [])


def test_scan_skips_drops_in_progress_and_own_folders(tmp_path: Path) -> None:
    """.part files, Excel lock files and the agent's own folders are neither read nor reported."""
    for name in ("export.csv.part", "~$export.xlsx", "b.CSV", "a.xlsx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    for name in ("imported", "failed", ".claims-0123456789ab"):
        (tmp_path / name).mkdir()
    scan = scan_inbox(tmp_path, follow_symlinks=False)
    assert [path.name for path in scan.candidates] == ["a.xlsx", "b.CSV"]
    assert scan.notices == []
