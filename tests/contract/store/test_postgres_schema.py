"""PostgreSQL's migrations are SQLite's, one for one: same numbers, same names."""

from __future__ import annotations

from agent.store.postgres_schema import PG_MIGRATIONS
from agent.store_schema import MIGRATIONS


def test_both_dialects_have_the_same_migrations() -> None:
    """A migration appended to one list needs its counterpart in the other (same name)."""
    assert [name for name, _ in PG_MIGRATIONS] == [name for name, _ in MIGRATIONS]
