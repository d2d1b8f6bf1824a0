"""Fixtures for the agent's tests: a real SQLite store in tmp_path, passage factories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from agent.config import Config
from agent.lifecycle import BatchAction
from agent.rows import NewPassage
from agent.store import DB_NAME, Store, StorePort
from agent.store.sql import SqlStore
from portal.fake import FakePortal
from tests.agent.helpers import make_config

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config in tmp_path (the built-in defaults otherwise)."""
    return make_config(tmp_path)


@pytest.fixture
def fake() -> FakePortal:
    """A fresh in-memory portal."""
    return FakePortal(clock=lambda: NOW)


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


def add_test_batch(
    store: StorePort,
    ids: Sequence[int],
    name: str = "a.xml",
    action: BatchAction = BatchAction.CREATION,
) -> int:
    """Record a built batch of these passages (placeholder file facts)."""
    return store.add_batch(
        name=name,
        path=f"/x/{name}",
        sha256="f" * 64,
        size=10,
        schema_version="1.1.5",
        id_flux="uuid",
        fingerprint="fp1",
        passage_ids=ids,
        action=action,
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config file whose data directory is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n', encoding="utf-8")
    return path


def old_store_passages(store: SqlStore, count: int, batched: int) -> tuple[int, list[int]]:
    """Passages written as a store before migration 9 holds them, their record in the passage
    row (plain SQL through the store's connection, as both backends take it: today's code
    writes today's schema); the first ``batched`` ones in one batch. (batch id, passage ids)."""
    conn = store._conn  # the test writes an older schema's rows
    with store.transaction():
        batch = conn.execute(
            "INSERT INTO batches (name, path, sha256, size, schema_version, id_flux, "
            "passages, status, fingerprint, created_at, updated_at) "
            "VALUES ('a.xml', '/x/a.xml', 'f', 10, '1.1.5', 'u', ?, 'built', 'fp1', 't', 't') "
            "RETURNING id",
            (batched,),
        ).fetchone()
        assert batch is not None
        ids: list[int] = []
        for index in range(1, count + 1):
            row = conn.execute(
                "INSERT INTO passages (emitter, id_technique, certificateur, contrat, "
                "certification_type, certification_code, holder, delivery_date, deadline, "
                "status, record_json, record_sha256, batch_id, created_at, updated_at) "
                "VALUES ('12ABC345', ?, '12ABC345', 'C', 'RS', 'RS5875', 'J.D.', "
                "'2026-01-15', '2026-04-15', ?, ?, '0', ?, 't', 't') RETURNING id",
                (
                    f"M{index}",
                    "batched" if index <= batched else "pending",
                    f'{{"record": {index}}}',
                    batch[0] if index <= batched else None,
                ),
            ).fetchone()
            assert row is not None
            ids.append(int(row[0]))
        conn.executemany(
            "INSERT INTO passage_batches (passage_id, batch_id) VALUES (?, ?)",
            [(i, batch[0]) for i in ids[:batched]],
        )
    return int(batch[0]), ids
