"""Shared fixtures: paths to the independent oracle in ../shared/cdc."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_CDC = ROOT.parent / "shared" / "cdc"


@pytest.fixture(scope="session")
def shared_cdc() -> Path:
    """The folder of official XSDs, samples and reports (never copied into the project)."""
    if not SHARED_CDC.is_dir():
        pytest.fail(f"oracle folder missing: {SHARED_CDC}")
    return SHARED_CDC
