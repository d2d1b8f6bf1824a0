"""Turn events of the log into notifications (title, body, kind, level).

Only events that need a person become notifications; the others give ``None``. Bodies name
passages by idTechnique and the holder summary (initials and birth year), never more.
Details come from the store as it is when the notification is written (batch counts, the
CDC's messages grouped by class, the passages due).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from agent.health import LOGIN_PAUSED, login_refused, run_errors
from agent.lifecycle import PassageStatus
from agent.notify_settings import Level, NotifyKind
from agent.notify_texts import Language, class_hint, class_label, text
from agent.rows import Event, Passage
from agent.store import StoreError, StorePort

_EVIDENCE = re.compile(r"\(evidence: ([^,)]+)")
LIST_LIMIT = 20


@dataclass(frozen=True)
class Notification:
    """One message for the destinations; ``event_id`` makes it recognisable (dedupe)."""

    event_id: int
    kind: NotifyKind | None  # None: the test message
    level: Level
    title: str
    body: str


@dataclass(frozen=True)
class Context:
    """What the texts need besides the store."""

    language: Language
    today: dt.date
    deadline_days: int


def notification_for(store: StorePort, event: Event, ctx: Context) -> Notification | None:
    """The notification an event calls for, or None."""
    built = _build(store, event, ctx)
    if built is None:
        return None
    kind, level, title, lines = built
    footer = f"[accrochage {kind.value} #{event.id}]"
    return Notification(event.id, kind, level, title, "\n".join([*lines, "", footer]))


_Built = tuple[NotifyKind, Level, str, list[str]]


def _build(store: StorePort, event: Event, ctx: Context) -> _Built | None:
    lang = ctx.language
    if event.kind == "run_finished" and event.level == "error":
        return _run_failed(store, event, lang)
    if event.kind in ("job_error", "login_paused"):
        kind = NotifyKind.LOGIN_REFUSED if event.kind == "login_paused" else NotifyKind.RUN_FAILED
        return kind, Level.CRITICAL, text(lang, f"{kind.value}.title"), [event.message]
    if event.kind == "import_failed":
        name = event.message.split(":", 1)[0]
        title = text(lang, "file_not_imported.title", name=name)
        return (
            NotifyKind.FILE_NOT_IMPORTED,
            Level.WARNING,
            title,
            [
                text(lang, "file_not_imported.body"),
                event.message,
            ],
        )
    if event.kind in ("file_rejected", "batch_invalid"):
        name = event.message.split(":", 1)[0]
        title = text(lang, "file_rejected.title", name=name)
        lines = [text(lang, "file_rejected.body", name=name), event.message]
        return NotifyKind.FILE_REJECTED, Level.CRITICAL, title, lines
    if event.kind == "processed" and event.batch_id is not None:
        return _processed(store, event.batch_id, lang)
    if event.kind == "deadline_digest":
        return _digest(store, ctx)
    return None


def _run_failed(store: StorePort, event: Event, lang: Language) -> _Built | None:
    errors = run_errors(store, event)
    reasons = [e.message for e in errors] or [event.message]
    if errors and all(LOGIN_PAUSED in e.message or e.kind == "login_paused" for e in errors):
        return None  # said once, by the login_paused event of the refusal (agent.login_guard)
    if login_refused(errors):
        body = text(lang, "login_refused.body", at=event.at)
        return (
            NotifyKind.LOGIN_REFUSED,
            Level.CRITICAL,
            text(lang, "login_refused.title"),
            [
                body,
                *reasons,
            ],
        )
    lines = [text(lang, "run_failed.body", at=event.at), *reasons]
    folders = sorted({str(Path(m).parent) for e in errors for m in _EVIDENCE.findall(e.message)})
    lines += [text(lang, "evidence", folder=folder) for folder in folders]
    return NotifyKind.RUN_FAILED, Level.CRITICAL, text(lang, "run_failed.title"), lines


def _processed(store: StorePort, batch_id: int, lang: Language) -> _Built | None:
    try:
        batch = store.batch(batch_id)
    except StoreError:
        return None
    values = {"name": batch.name, "accepted": batch.accepted, "rejected": batch.rejected}
    if not batch.rejected:
        title = text(lang, "batch_accepted.title", **values)
        return (
            NotifyKind.BATCH_ACCEPTED,
            Level.INFO,
            title,
            [text(lang, "batch_accepted.body", **values)],
        )
    lines = [text(lang, "passages_rejected.body", **values), ""]
    lines += reject_lines(store.batch_passages(batch_id, PassageStatus.REJECTED), lang)
    lines += ["", text(lang, "passages_rejected.fix")]
    title = text(lang, "passages_rejected.title", **values)
    return NotifyKind.PASSAGES_REJECTED, Level.WARNING, title, lines


def group_rejects(passages: list[Passage]) -> dict[str, list[Passage]]:
    """Rejected passages by CDC message class, largest group first."""
    groups: dict[str, list[Passage]] = defaultdict(list)
    for passage in passages:
        groups[passage.cdc_class or "other"].append(passage)
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def reject_lines(passages: list[Passage], lang: Language) -> list[str]:
    """One paragraph per class: count, the CDC's message, what to do, a few examples."""
    lines: list[str] = []
    for klass, group in group_rejects(passages).items():
        first = group[0]
        lines.append(f"- {class_label(lang, klass)} [{klass}]: {len(group)}")
        messages = sorted({p.cdc_message or "" for p in group} - {""})
        lines += [f"  CDC : « {m} »" if lang == "fr" else f"  CDC: “{m}”" for m in messages[:3]]
        lines.append("  " + text(lang, "what_to_do", hint=class_hint(lang, klass, first.hint)))
        examples = ", ".join(
            text(lang, "example", id_technique=p.id_technique, holder=p.holder) for p in group[:5]
        )
        lines.append(f"  {examples}")
    return lines


def _digest(store: StorePort, ctx: Context) -> _Built | None:
    lang, today = ctx.language, ctx.today
    due = store.open_passages_due(today + dt.timedelta(days=ctx.deadline_days))
    if not due:
        return None
    overdue = sum(1 for p in due if p.deadline and p.deadline < today)
    level = Level.CRITICAL if overdue else Level.WARNING
    values = {"overdue": overdue, "due": len(due) - overdue, "days": ctx.deadline_days}
    lines = [text(lang, "deadline_digest.body", today=today.isoformat())]
    for passage in due[:LIST_LIMIT]:
        late = text(lang, "late") if passage.deadline and passage.deadline < today else ""
        lines.append(
            text(
                lang,
                "deadline_digest.line",
                deadline=passage.deadline,
                late=late,
                id_technique=passage.id_technique,
                holder=passage.holder,
                status=passage.status,
            )
        )
    if len(due) > LIST_LIMIT:
        lines.append(text(lang, "more", count=len(due) - LIST_LIMIT))
    title = text(lang, "deadline_digest.title", **values)
    return NotifyKind.DEADLINE_DIGEST, level, title, lines


def probe_notification(lang: Language) -> Notification:
    """The message of ``accrochage notify test``."""
    return Notification(0, None, Level.INFO, text(lang, "test.title"), text(lang, "test.body"))
