"""Retention: old evidence, imported files and events go; proofs and open corrections stay."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.config import Config, RetentionSettings
from agent.context import RunContext
from agent.inbox import import_inbox
from agent.paths import AgentPaths
from agent.retention import apply_retention
from agent.store import Store
from tests.agent.helpers import inbox, make_config, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
# Files on disk carry the real clock's times: the pass runs past the 400-day default.
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=500)


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")
    return path


def _import(config: Config) -> None:
    write_export(inbox(config) / "good.csv", [row("G1")])
    write_export(inbox(config) / "bad.csv", [row("B1", sexe="Z")])
    with Store.open(AgentPaths.from_config(config).db, now=lambda: NOW) as store:
        import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None))


def test_retention_deletes_old_files_and_events_but_keeps_open_corrections(
    tmp_path: Path,
) -> None:
    """Evidence, imported files and events past their age go; a file with invalid rows stays."""
    config = make_config(tmp_path)
    paths = AgentPaths.from_config(config)
    _import(config)
    shot = _file(paths.evidence / "deposit-1" / "page.png")
    kept_batch = _file(paths.batches / "a.xml")
    imported = sorted(p.name for p in paths.imported.iterdir())
    assert any(name.startswith("bad") for name in imported)
    with Store.open(paths.db, now=lambda: LATER) as store:
        store.add_event("recent", "kept")
        purged = apply_retention(store, paths, RetentionSettings(), now=LATER)
        events = store.events(limit=100)
    assert purged.evidence == 1 and not shot.exists()
    assert not (paths.evidence / "deposit-1").exists()
    assert kept_batch.exists()
    left = sorted(p.name for p in paths.imported.iterdir())
    assert left and all(name.startswith("bad") for name in left), left
    assert purged.imported == len(imported) - len(left) > 0
    assert purged.events > 0  # the import's events, stamped NOW, are past 400 days
    assert [e.kind for e in events] == ["recent", "retention"]
    assert events[-1].message == purged.line()


def test_retention_zero_keeps_everything_and_recent_stays(tmp_path: Path) -> None:
    """0 days keeps forever; a pass today deletes nothing recent."""
    config = make_config(tmp_path)
    paths = AgentPaths.from_config(config)
    _import(config)
    shot = _file(paths.evidence / "x.png")
    never = RetentionSettings(evidence_days=0, imported_days=0, events_days=0)
    with Store.open(paths.db) as store:
        assert (
            apply_retention(store, paths, never, now=LATER)
            .line()
            .endswith("0 evidence file(s), 0 imported file(s), 0 event(s)")
        )
        today = apply_retention(store, paths, RetentionSettings(), now=dt.datetime.now(dt.UTC))
    assert (today.evidence, today.imported, today.events) == (0, 0, 0)
    assert shot.exists()


def test_retention_settings_refuse_less_than_the_legal_horizon() -> None:
    """A retention shorter than three months is refused with the reason."""
    with pytest.raises(ValidationError, match="at least 92 days"):
        RetentionSettings(events_days=30)


def test_retention_event_log_stays_append_only_for_recent_rows(tmp_path: Path) -> None:
    """The purge cutoff only opens old rows; a direct DELETE is still refused."""
    with Store.open(tmp_path / "a.sqlite3", now=lambda: NOW) as store:
        store.add_event("old", "old")
        assert store.purge_events(NOW - dt.timedelta(days=1)) == 0
        assert store.purge_events(NOW + dt.timedelta(seconds=1)) == 1
        store.add_event("new", "new")
    conn = sqlite3.connect(tmp_path / "a.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    conn.close()
