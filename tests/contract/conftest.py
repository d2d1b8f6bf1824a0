"""Fixtures for the portal contract and browser tests: the real replica and deposit files."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sandbox_server import SandboxHandle, running_sandbox

# Long enough that a fresh deposit is still "En cours de traitement" when the client reads
# it; tests that need a report switch processing on through the replica's admin endpoint.
SLOW_PROCESSING_S = 600.0


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One real replica server per test module, processing held back."""
    with running_sandbox(
        tmp_path_factory.mktemp("replica"), processing_delay_s=SLOW_PROCESSING_S
    ) as handle:
        yield handle


@pytest.fixture
def deposit_file(tmp_path: Path, shared_cdc: Path) -> Callable[[], Path]:
    """Makes a uniquely named copy of the official 1.1.5 CREATION sample to deposit."""

    def make() -> Path:
        path = tmp_path / "out" / f"lot-{uuid.uuid4().hex[:10]}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes((shared_cdc / "cdc-example-1.1.5-CREATION.xml").read_bytes())
        return path

    return make
