"""Files still open for writing are seen (kernel lease, and /proc on its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import openfiles
from agent.openfiles import open_for_writing


def test_open_for_writing_sees_a_writer_not_a_reader(tmp_path: Path) -> None:
    """A file open for appending is reported; one open for reading, or closed, is not."""
    written, read, idle = (tmp_path / name for name in ("w.csv", "r.csv", "i.csv"))
    for path in (written, read, idle):
        path.write_text("x", encoding="utf-8")
    with written.open("a", encoding="utf-8"), read.open(encoding="utf-8"):
        assert open_for_writing([written, read, idle]) == {written}
    assert open_for_writing([written, read, idle]) == set()


def test_open_for_writing_via_proc_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the lease (another user's file, a network share), /proc still tells."""
    monkeypatch.setattr(openfiles, "_lease_refused", lambda _path: False)
    path = tmp_path / "w.csv"
    path.write_text("x", encoding="utf-8")
    with path.open("r+", encoding="utf-8"):
        assert open_for_writing([path]) == {path}
    assert open_for_writing([path]) == set()
