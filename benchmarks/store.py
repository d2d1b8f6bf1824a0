"""Benchmark: the agent's store at scale (issue 15).

Usage: ``python benchmarks/store.py [--passages 1000000] [--batches 200] [--records 20000]
[--backends sqlite,postgresql]``

Each backend is measured in turn. PostgreSQL: a throwaway cluster started for the run
(``tests/pgcluster.py``: initdb + pg_ctl on a free port, fsync and synchronous commits on, as
a server keeps them), one database for the status and moves, another for the import; skipped
with a line saying why when PostgreSQL cannot start.

1. ``status_s``: a store seeded with ``--passages`` passages (accepted ones spread over
   ``--batches`` processed batches, some rejected, some pending, a few hundred due soon),
   then the median of 3 runs of what ``accrochage status --json`` computes and renders
   (``status_view`` + ``service_view`` + JSON), in process (no interpreter start-up).
2. ``move_s``: the slowest of the moves of a 50,000-passage batch, each timed alone:
   ``add_batch`` (pending -> batched), marking it uploaded (batched -> deposited), applying
   its accusé de traitement (deposited -> accepted/rejected), holding a second batch refused
   as a whole (-> rejected, class file) and releasing it (-> pending).
3. ``import_ratio``: importing a ``--records``-row export into the store and building its
   batches (``import_inbox`` + ``build_pending``, the first steps of ``deposit now``), over
   the stateless ``builders.flux.build.build`` of the same file, both validating against the
   official 1.1.5 XSD from ``../shared/cdc/``.

Seeding writes rows with plain SQL (setup, not measured; PostgreSQL: COPY); everything
measured goes through the agent's own code, opened by ``open_store`` as the agent opens it.
The last lines printed are exactly, one per backend:
``bench: backend=sqlite passages=N status_s=... move_s=... import_ratio=...``
Targets (issue 15) at 1,000,000 passages and 150,000 records: status < 0.3 s,
move < 0.2 s, import ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from agent.build import build_pending  # noqa: E402
from agent.collect import apply_report, confirm_upload, hold_batch, release_held  # noqa: E402
from agent.config import AgentSettings, Config, StoreSettings  # noqa: E402
from agent.context import RunContext  # noqa: E402
from agent.health import service_view  # noqa: E402
from agent.inbox import import_inbox  # noqa: E402
from agent.lifecycle import BatchStatus, PassageStatus  # noqa: E402
from agent.store import DB_NAME, StorePort, open_store  # noqa: E402
from agent.views import status_view  # noqa: E402
from build import SHARED_XSD, generate  # noqa: E402 - benchmarks/build.py, beside this file
from builders.cdc.reports import PassageOutcome, ProcessingReport  # noqa: E402
from builders.cdc.schemas import import_schema  # noqa: E402
from builders.flux.build import build  # noqa: E402
from builders.settings import BuildSettings, Declarant  # noqa: E402
from tests.pgcluster import PgCluster, PgUnavailable  # noqa: E402

MOVE = 50_000
TODAY = dt.date(2026, 3, 2)
RECORD = json.dumps({"padding": "x" * 900})  # about the size of a real validated record


#: CPU seconds of this process per timed action, beside the wall-clock figures: on a shared
#: loaded machine the wall clock includes waiting for a core.
CPU: list[float] = []
#: CPU seconds (this process and its children) of the import through the store, then of the
#: stateless build, which shares its work with child processes.
IMPORT_CPU: list[float] = []


def _timed(action: Callable[[], object]) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    action()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


def _all_cpu() -> float:
    """CPU seconds of this process and of its children that ended (the stateless build's)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _passage_rows(count: int, start: int, status: str, batch: int | None) -> Iterator[tuple]:  # type: ignore[type-arg]
    for index in range(start, start + count):
        due = TODAY + dt.timedelta(days=5 if index % 1000 == 0 else 400)
        yield (
            index,
            "12ABC345",
            f"SEED-{index:09d}",
            "12ABC345",
            "MCFCER000123",
            "RS",
            "RS5875",
            "J.D. 1990",
            "2026-01-15",
            due.isoformat(),
            status,
            "0" * 64,
            batch,
            "2026-01-16T10:00:00+00:00",
            "2026-01-16T10:00:00+00:00",
        )


_PASSAGE_COLUMNS = (
    "id, emitter, id_technique, certificateur, contrat, certification_type, "
    "certification_code, holder, delivery_date, deadline, status, record_sha256, "
    "batch_id, created_at, updated_at"
)
_BATCH_COLUMNS = (
    "id, name, path, sha256, size, schema_version, id_flux, passages, status, fingerprint, "
    "accepted, rejected, created_at, updated_at"
)


#: Seeded tables in the order foreign keys and the batch_counts triggers need.
_TABLES = {
    "batches": _BATCH_COLUMNS,
    "passages": _PASSAGE_COLUMNS,
    "passage_batches": "passage_id, batch_id",
    "passage_records": "passage_id, record_json",
}


def _plan(passages: int, batches: int) -> Iterator[tuple[str, tuple]]:  # type: ignore[type-arg]
    """The seeded rows, as (table, row): batches, their passages and memberships, then the
    2 x 50,000 pending passages kept for the moves (last)."""
    pending = min(2 * MOVE, passages)
    rest = passages - pending
    per_batch = rest // batches if batches else 0
    stamp = "2026-01-16T10:00:00+00:00"
    next_id = 1
    for number in range(1, batches + 1):
        count = per_batch + (rest - per_batch * batches if number == batches else 0)
        rejected = count // 100
        status = BatchStatus.PARTLY_REJECTED if rejected else BatchStatus.ACCEPTED
        yield "batches", (
            number, f"seed-{number:04d}.xml", f"/nowhere/seed-{number:04d}.xml", "0" * 64, 1000,
            "1.1.5", f"flux-{number}", count, status.value, "seed", count - rejected, rejected,
            stamp, stamp,
        )  # fmt: skip
        for row in _passage_rows(count - rejected, next_id, PassageStatus.ACCEPTED, number):
            yield "passages", row
        for row in _passage_rows(
            rejected, next_id + count - rejected, PassageStatus.REJECTED, number
        ):
            yield "passages", row
        for pid in range(next_id, next_id + count):
            yield "passage_batches", (pid, number)
        next_id += count
    for row in _passage_rows(pending, next_id, PassageStatus.PENDING, None):
        yield "passages", row
    # Every passage keeps its validated record beside it (migration 9).
    for pid in range(1, next_id + pending):
        yield "passage_records", (pid, RECORD)


def seed(config: Config, passages: int, batches: int) -> list[int]:
    """Fill the store; returns the ids of 2 x 50,000 pending passages kept for the moves."""
    open_store(config).close()  # schema
    if config.store.url and config.store.url.startswith("postgresql://"):
        _seed_postgresql(config.store.url, passages, batches)
    else:
        _seed_sqlite(config.agent.data_dir / DB_NAME, passages, batches)
    pending = min(2 * MOVE, passages)
    return list(range(passages - pending + 1, passages + 1))


def _seed_postgresql(url: str, passages: int, batches: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns in _TABLES.items():
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for name, row in _plan(passages, batches):
                    if name == table:
                        copy.write_row(row)
        for table in ("batches", "passages"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608 - fixed names
            )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load


def _seed_sqlite(db: Path, passages: int, batches: int) -> None:
    conn = sqlite3.connect(db)
    with conn:
        for table, columns in _TABLES.items():
            marks = ", ".join("?" for _ in columns.split(","))
            conn.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - fixed names
                (row for name, row in _plan(passages, batches) if name == table),
            )
    conn.close()


def measure_status(config: Config) -> float:
    """Median of 3 runs of what ``accrochage status --json`` computes and prints."""

    def once() -> None:
        with open_store(config) as store:
            data = status_view(store, today=TODAY, within_days=30)
            data["service"] = service_view(store, config, dt.datetime.now(dt.UTC))
        json.dumps(data, ensure_ascii=False, indent=2, default=str)

    return statistics.median(_timed(once) for _ in range(3))


def _add(store: StorePort, name: str, ids: list[int]) -> int:
    return store.add_batch(
        name=name,
        path=f"/nowhere/{name}",
        sha256="1" * 64,
        size=1,
        schema_version="1.1.5",
        id_flux=name,
        fingerprint="bench",
        passage_ids=ids,
    )


def measure_moves(config: Config, ids: list[int]) -> dict[str, float]:
    """Each 50,000-passage move of today's workflow, timed alone."""
    first, second = ids[:MOVE], ids[MOVE : 2 * MOVE]
    times: dict[str, float] = {}
    with open_store(config) as store:
        names = {p.id: p.id_technique for p in store.passages(status=PassageStatus.PENDING)}
        batch_id = 0

        def add() -> None:
            nonlocal batch_id
            batch_id = _add(store, "move-1.xml", first)

        times["add"] = _timed(add)
        store.set_batch_status(batch_id, BatchStatus.UPLOADING)
        batch = store.batch(batch_id)
        times["upload"] = _timed(lambda: confirm_upload(store, batch, "in the history"))
        outcomes = tuple(
            PassageOutcome(names[pid], ok=index % 50 != 0, message=None if index % 50 else "KO")
            for index, pid in enumerate(first)
        )
        report = ProcessingReport("move-1.xml", "move-1.xml", "1", passages=outcomes)
        batch = store.batch(batch_id)
        times["report"] = _timed(lambda: apply_report(store, batch, report))
        held = _add(store, "move-2.xml", second)
        store.set_batch_status(held, BatchStatus.UPLOADING)
        batch = store.batch(held)
        times["hold"] = _timed(
            lambda: hold_batch(store, batch, BatchStatus.FILE_REJECTED, "refused (bench)")
        )
        times["release"] = _timed(lambda: release_held(store, "changed", lambda _line: None))
    return times


def measure_import(work: Path, records: int, url: str | None) -> tuple[float, float]:
    """(import + build through the store, stateless build) seconds for the same export."""
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / "export.csv"
    generate(csv_path, records, 1)
    stateless_dir = work / "stateless"
    import_schema(SHARED_XSD, stateless_dir)
    IMPORT_CPU.clear()  # this backend's two figures
    cpu = _all_cpu()
    stateless = _timed(
        lambda: build(
            [csv_path],
            work / "stateless-out",
            settings=BuildSettings(),
            declarant=Declarant(),
            data_dir=stateless_dir,
        )
    )
    IMPORT_CPU.append(_all_cpu() - cpu)
    config = Config(agent=AgentSettings(data_dir=work / "agent"), store=StoreSettings(url=url))
    import_schema(SHARED_XSD, config.agent.data_dir)
    config.agent.inbox.mkdir(parents=True)
    dropped = config.agent.inbox / csv_path.name
    shutil.copy(csv_path, dropped)
    # An export dropped in the inbox a while ago: complete at once, without the settle wait
    # for a file still being written ([agent] inbox_settle_s), which is not the store's cost.
    an_hour_ago = time.time() - 3600
    os.utime(dropped, (an_hour_ago, an_hour_ago))
    now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731

    def through_store() -> None:
        with open_store(config) as store:
            import_inbox(store, RunContext.create(config, now=now, progress=lambda _line: None))
            ready, failed = build_pending(store, RunContext.create(config, now=now, progress=print))
            if failed or not ready:
                sys.exit(f"bench: the agent's build failed: {failed}")

    cpu = _all_cpu()
    agent = _timed(through_store)
    IMPORT_CPU.insert(0, _all_cpu() - cpu)
    return agent, stateless


def bench_backend(
    backend: str, urls: tuple[str | None, str | None], work: Path, args: argparse.Namespace
) -> str:
    """Measure one backend (printing the details) in its two stores (status and moves,
    import); its ``bench:`` line."""
    print(f"-- backend {backend}")
    url, import_url = urls
    config = Config(agent=AgentSettings(data_dir=work / "status"), store=StoreSettings(url=url))
    started = time.perf_counter()
    ids = seed(config, args.passages, args.batches)
    print(
        f"seeded {args.passages} passages, {args.batches} batches in "
        f"{time.perf_counter() - started:.1f}s"
    )
    status_s = measure_status(config)
    print(f"status: {status_s:.3f}s (median of 3; CPU {statistics.median(CPU[-3:]):.3f}s)")
    moves = measure_moves(config, ids)
    print("moves of 50000 passages: " + " ".join(f"{k}={v:.2f}s" for k, v in moves.items()))
    cpu = dict(zip(moves, CPU[-len(moves) :], strict=True))
    print("  CPU of each: " + " ".join(f"{k}={v:.2f}s" for k, v in cpu.items()))
    status_after = measure_status(config)
    print(f"status after the moves: {status_after:.3f}s")
    agent_s, stateless_s = measure_import(work / "import", args.records, import_url)
    print(
        f"import+build of {args.records} rows: {agent_s:.2f}s through the store, "
        f"{stateless_s:.2f}s stateless"
    )
    print(
        f"  CPU (this process and its children): {IMPORT_CPU[0]:.2f}s through the store, "
        f"{IMPORT_CPU[1]:.2f}s stateless"
    )
    return (
        f"bench: backend={backend} passages={args.passages} status_s={status_s:.3f} "
        f"move_s={max(moves.values()):.3f} import_ratio={agent_s / stateless_s:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=300_000, help="target: 1000000")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--records", type=int, default=20_000, help="target: 150000")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.passages < 2 * MOVE:
        sys.exit(f"bench: --passages must be at least {2 * MOVE}")
    work = Path(tempfile.mkdtemp(prefix="accrochage-bench-store-"))
    # Wall-clock figures: a loaded shared machine inflates them; the load says how much.
    print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    lines: list[str] = []
    cluster: PgCluster | None = None
    try:
        for backend in args.backends.split(","):
            urls: tuple[str | None, str | None] = (None, None)
            if backend == "postgresql":
                try:
                    cluster = PgCluster(durable=True)
                except PgUnavailable as exc:
                    print(f"bench: backend=postgresql skipped: {exc}")
                    continue
                urls = (cluster.new_database(), cluster.new_database())
            elif backend != "sqlite":
                sys.exit(f"bench: unknown backend {backend!r}")
            lines.append(bench_backend(backend, urls, work / backend, args))
        for line in lines:  # the last lines: one per backend
            print(line)
    finally:
        if cluster is not None:
            cluster.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
