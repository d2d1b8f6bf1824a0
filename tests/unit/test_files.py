"""The shared file helpers: owner-only folders and files, atomic writes, streamed SHA-256."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders.files import ensure_private_dir, file_sha256, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_dir_is_owner_only_but_an_existing_folder_keeps_its_mode(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A new folder and its parents are made 0700; an existing folder the agent did not create
    (perhaps shared on purpose) keeps its mode, with one warning (issue 11)."""
    folder = tmp_path / "a" / "b"
    assert ensure_private_dir(folder) == folder
    assert _mode(folder) == 0o700
    open_folder = tmp_path / "open"
    open_folder.mkdir(mode=0o755)
    open_folder.chmod(0o755)
    ensure_private_dir(open_folder)
    ensure_private_dir(open_folder)
    assert _mode(open_folder) == 0o755
    warned = [r for r in caplog.records if "accessible to other users" in r.getMessage()]
    assert len(warned) == 1


def test_write_private_streams_chunks_owner_only_with_their_hash(tmp_path: Path) -> None:
    """The file holds the chunks, is 0600, and the returned hash and size are the file's."""
    target = tmp_path / "doc.xml"
    target.write_bytes(b"old")
    sha256, size = write_private([b"<a>", b"x" * 200_000, b"</a>"], target)
    content = target.read_bytes()
    assert content == b"<a>" + b"x" * 200_000 + b"</a>"
    assert (sha256, size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert _mode(target) == 0o600
    assert file_sha256(target) == sha256
    assert [p.name for p in tmp_path.iterdir()] == ["doc.xml"]


def test_write_private_failure_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """A write that fails midway leaves the previous file as it was and no ``.part-`` file."""
    target = tmp_path / "doc.xml"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_private(chunks(), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.xml"]
