"""doctor's folder check: writable and owner-only, or creatable; never created by the check."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.doctor import CheckWarned, check_folder


def test_doctor_folder_owner_only_is_ok(tmp_path: Path) -> None:
    """An owner-only writable folder passes, and the probe file is gone afterwards."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    assert check_folder(folder, "[agent] data_dir") == f"{folder} (writable, owner-only)"
    assert list(folder.iterdir()) == []


def test_doctor_folder_readable_by_others_warns_with_the_fix(tmp_path: Path) -> None:
    """Personal data in a folder others can read: a warning with the chmod to run."""
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o755)
    with pytest.raises(CheckWarned, match=rf"readable by others \(755\): chmod 700 {folder}"):
        check_folder(folder, "[agent] data_dir")


def test_doctor_missing_folder_is_not_created(tmp_path: Path) -> None:
    """A folder that does not exist yet is fine when its parent is writable; not created."""
    folder = tmp_path / "new" / "data"
    assert check_folder(folder, "[agent] data_dir") == (
        f"{folder} does not exist yet; it will be created ({tmp_path} is writable)"
    )
    assert not (tmp_path / "new").exists()
