"""What the status page shows, read from the store (rendered by :mod:`agent.status_html`).

Holders appear as initials and birth year only (the ``holder`` column), as in ``status``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.lifecycle import BatchStatus, PassageStatus
from agent.notify_messages import group_rejects
from agent.rows import Batch, Passage, SourceFile
from agent.store import StorePort

#: How many weeks ahead the deadline timeline shows (a deadline is at most 3 months away).
WEEKS = 14


@dataclass(frozen=True)
class InvalidRow:
    """An invalid passage to correct: where it came from and why."""

    passage: Passage
    source_file: str | None
    source_row: int | None


@dataclass
class PageData:
    """Everything on the page."""

    generated_at: dt.datetime
    today: dt.date
    deadline_days: int
    counts: dict[str, int]
    overdue: list[Passage]
    due: list[Passage]
    weeks: list[tuple[dt.date, int]]  # Monday of each week, open passages due that week
    batches: list[tuple[Batch, dict[str, int]]]
    acceptance: list[tuple[str, float]]  # (processing date, accepted %) per processed file
    rejects: dict[str, list[Passage]]
    invalid: list[InvalidRow]
    unidentified: list[SourceFile] = field(default_factory=list)
    last_success: str | None = None


def monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def page_data(store: StorePort, config: Config, now: dt.datetime) -> PageData:
    """Read the page's data from the store, as of ``now`` (in ``agent.timezone``)."""
    local = now.astimezone(ZoneInfo(config.agent.timezone))
    today = local.date()
    days = config.schedule.deadline_days
    first_week = monday(today)
    open_passages = store.open_passages_due(first_week + dt.timedelta(weeks=WEEKS))
    overdue = [p for p in open_passages if p.deadline and p.deadline < today]
    upcoming = [p for p in open_passages if p.deadline and p.deadline >= today]
    per_week = Counter(monday(p.deadline) for p in upcoming if p.deadline)
    starts = [first_week + dt.timedelta(weeks=i) for i in range(WEEKS)]
    weeks = [(start, per_week.get(start, 0)) for start in starts]
    horizon = today + dt.timedelta(days=days)
    processed = [
        b
        for b in store.batches(BatchStatus.ACCEPTED, BatchStatus.PARTLY_REJECTED)
        if b.accepted + b.rejected
    ]
    processed.sort(key=lambda b: b.updated_at)
    success = store.last_event("run_finished", level="info")
    return PageData(
        generated_at=local,
        today=today,
        deadline_days=days,
        counts=store.passage_counts(),
        overdue=overdue,
        due=[p for p in upcoming if p.deadline and p.deadline <= horizon],
        weeks=weeks,
        batches=[(b, store.passage_counts(batch_id=b.id)) for b in reversed(store.batches())],
        acceptance=[
            (
                f"{b.updated_at[8:10]}/{b.updated_at[5:7]}",
                100 * b.accepted / (b.accepted + b.rejected),
            )
            for b in processed
        ],
        rejects=group_rejects(store.passages(status=PassageStatus.REJECTED)),
        invalid=_invalid_rows(store),
        unidentified=[s for s in store.sources(limit=100) if s.unidentified],
        last_success=success.at if success else None,
    )


def _invalid_rows(store: StorePort) -> list[InvalidRow]:
    out = []
    for passage in store.passages(status=PassageStatus.INVALID):
        where = store.passage_source(passage.id)
        source = store.source(where[0]) if where else None
        out.append(
            InvalidRow(passage, source.name if source else None, where[1] if where else None)
        )
    return out
