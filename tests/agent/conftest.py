"""Fixtures for the agent's tests: a real SQLite store in tmp_path, passage factories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.rows import NewPassage
from agent.store import DB_NAME, Store
from portal.fake import FakePortal

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store on disk."""
    with Store.open(tmp_path / "data" / DB_NAME, now=lambda: NOW) as opened:
        yield opened


def new_passage(id_technique: str, **overrides: object) -> NewPassage:
    """A valid NewPassage with overridable fields."""
    values: dict[str, object] = {
        "emitter": "12ABC345",
        "id_technique": id_technique,
        "certificateur": "12ABC345",
        "contrat": "MCFCER000123",
        "certification_type": "RS",
        "certification_code": "RS5875",
        "holder": "J.D. 1990",
        "delivery_date": dt.date(2026, 1, 15),
        "deadline": dt.date(2026, 4, 15),
        "record_json": '{"fake": true}',
        "record_sha256": "0" * 64,
        "source_file_id": None,
        "source_row": 2,
    }
    values.update(overrides)
    return NewPassage(**values)  # type: ignore[arg-type]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config file whose data directory is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    return path


@pytest.fixture
def fake() -> FakePortal:
    """An in-memory portal shared by the runs of a test."""
    return FakePortal(clock=lambda: NOW)
