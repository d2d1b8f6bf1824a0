"""Retention: what the service deletes once it is older than ``[retention]`` says.

- ``evidence/``: screenshots and traces of failed portal attempts (personal data on screen);
- ``inbox/imported/``: imported exports and their error reports, except the files whose
  invalid rows are still waiting for a correction (``rejects --csv`` reads them again);
- the event log: entries older than the cutoff (the only deletion the log allows).

The nightly deposit job applies it after its run, under the work lock. Batches, receipts
and reports are never deleted: they are the proof of each declaration.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from agent.config import RetentionSettings
from agent.paths import AgentPaths
from agent.store import StorePort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    """How many things one retention pass deleted."""

    evidence: int = 0
    imported: int = 0
    events: int = 0

    def line(self) -> str:
        """One line for the event log."""
        return (
            f"retention: deleted {self.evidence} evidence file(s), {self.imported} imported "
            f"file(s), {self.events} event(s)"
        )


def _age_reference(path: Path) -> float:
    # A rename (the move into imported/) updates ctime, not mtime: take the later one.
    info = path.stat()
    return max(info.st_mtime, info.st_ctime)


def _old_files(folder: Path, cutoff: dt.datetime, *, recursive: bool) -> list[Path]:
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if recursive else folder.iterdir()
    limit = cutoff.timestamp()
    return [p for p in found if p.is_file() and _age_reference(p) < limit]


def _prune_empty_dirs(folder: Path) -> None:
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()


def apply_retention(
    store: StorePort, paths: AgentPaths, settings: RetentionSettings, *, now: dt.datetime
) -> Purged:
    """Delete what ``settings`` no longer keeps; records one ``retention`` event if any.

    Returns:
        The counts deleted.
    """
    evidence = imported = events = 0
    if settings.evidence_days:
        cutoff = now - dt.timedelta(days=settings.evidence_days)
        for path in _old_files(paths.evidence, cutoff, recursive=True):
            path.unlink()
            evidence += 1
        if paths.evidence.is_dir():
            _prune_empty_dirs(paths.evidence)
    if settings.imported_days:
        cutoff = now - dt.timedelta(days=settings.imported_days)
        keep = store.files_awaiting_correction()
        for path in _old_files(paths.imported, cutoff, recursive=False):
            base = str(path).removesuffix(".errors.csv")
            if base in keep:
                continue
            path.unlink()
            imported += 1
    if settings.events_days:
        events = store.purge_events(now - dt.timedelta(days=settings.events_days))
    purged = Purged(evidence, imported, events)
    if evidence or imported or events:
        store.add_event("retention", purged.line())
        log.info("%s", purged.line())
    return purged
