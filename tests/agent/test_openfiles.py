"""Files still open for writing are seen through /proc."""

from __future__ import annotations

from pathlib import Path

from agent.openfiles import open_for_writing


def test_open_for_writing_sees_a_writer_not_a_reader(tmp_path: Path) -> None:
    """A file open for appending is reported; one open for reading, or closed, is not."""
    written, read, idle = (tmp_path / name for name in ("w.csv", "r.csv", "i.csv"))
    for path in (written, read, idle):
        path.write_text("x", encoding="utf-8")
    with written.open("a", encoding="utf-8"), read.open(encoding="utf-8"):
        assert open_for_writing([written, read, idle]) == {written}
    with written.open("r+", encoding="utf-8"):  # read-write counts as writing
        assert open_for_writing([written, read, idle]) == {written}
    assert open_for_writing([written, read, idle]) == set()
