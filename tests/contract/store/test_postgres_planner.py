"""PostgreSQL during a large import: the planner keeps using the keys' index.

An import is one transaction: nobody else (autovacuum included) sees its rows, so the
statistics say the passages table is as small as before. Then each lookup of a chunk's keys
read every passage of the emitter. The store refreshes the statistics as the table grows.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.config import AgentSettings, Config, StoreSettings
from agent.store import open_store
from agent.store.postgres import ANALYZE_MIN_ROWS, PostgresStore
from tests.agent.conftest import new_passage


def _plan(store: PostgresStore, id_techniques: list[str]) -> str:
    lookup = f"id_technique IN ({store._IN_TEXTS})"  # the store's own lookup
    rows = store._all(
        "EXPLAIN SELECT id_technique FROM passages WHERE emitter = ? AND " + lookup,  # noqa: S608
        ("12ABC345", id_techniques),
    )
    return "\n".join(str(row[0]) for row in rows)


def test_an_import_keeps_the_lookups_on_the_index(pg_url: str, tmp_path: Path) -> None:
    config = Config(agent=AgentSettings(data_dir=tmp_path), store=StoreSettings(url=pg_url))
    chunk = 500
    total = 2 * ANALYZE_MIN_ROWS + chunk
    with open_store(config) as store, store.transaction():
        assert isinstance(store, PostgresStore)
        for start in range(0, total, chunk):
            store.add_passages(
                [new_passage(f"P{n:06d}", holder_key=n + 1) for n in range(start, start + chunk)]
            )
        wanted = [f"P{n:06d}" for n in range(0, total, 37)]
        plan = _plan(store, wanted)
        # The planner knows how many passages the emitter has now (stale statistics said a
        # hundred or so, and it read them all for each lookup, believing that cheap).
        [scan] = [line for line in plan.splitlines() if " on passages" in line]
        estimated = int(re.search(r"rows=(\d+)", scan).group(1))  # type: ignore[union-attr]
        assert estimated > total // 2, plan
        assert store.passage_keys("12ABC345", wanted) == set(wanted)
        assert store.holder_keys_in_use("12ABC345", [1, total, total + 1]) == {1, total}
