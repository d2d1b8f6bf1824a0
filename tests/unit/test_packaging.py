"""The distribution ships exactly the three top-level packages and the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _build_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "-w", str(dest), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = dest.glob("accrochage_agent-*.whl")
    return wheel


def test_wheel_contains_only_project_packages(tmp_path: Path) -> None:
    """A built wheel holds agent/, builders/, portal/ and metadata, never tests/."""
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    dist_info = {name for name in top_level if name.endswith(".dist-info")}
    assert top_level - dist_info == {"agent", "builders", "portal"}
    (entry_points,) = (n for n in names if n.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "accrochage = agent.cli:main" in archive.read(entry_points).decode()


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_runs(tmp_path: Path) -> None:
    """What `pipx install accrochage_agent-*.whl` does: a new venv, the wheel, the script.

    The dependencies come from this test's own environment (a .pth line), so the test needs
    no network; the agent itself must come from the wheel, not from the source tree.
    """
    wheel = _build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    deps = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "zz-test-dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    script = venv / "bin" / "accrochage"
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for command in ("doctor", "config", "credentials", "run", "status"):
        assert f"  {command} " in done.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import agent; print(agent.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(site)
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith("METADATA"))
        requires = [
            line for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]  # fmt: skip
    assert any("playwright" in line for line in requires)  # pipx installs them from PyPI
