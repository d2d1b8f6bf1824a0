"""Human renderings of the service commands' results (``--json`` prints the data as is)."""

from __future__ import annotations

from typing import Any

import click

from agent.deposit import RunSummary
from agent.inbox import ImportResult
from agent.timefmt import human_time


def summary_lines(summary: RunSummary) -> list[str]:
    """The end-of-run summary of ``deposit now``."""
    lines = ["Summary:"]
    for result in summary.imported:
        if result.failure:
            lines += _not_imported(result)
            continue
        detail = (
            f"duplicate of {result.duplicate_of}"
            if result.duplicate_of
            else f"{result.valid} valid, {result.invalid} invalid, {result.skipped} skipped"
        )
        if result.unidentified:
            detail += f" ({result.unidentified} invalid without a known idTechnique)"
        lines.append(f"  imported {result.file}: {detail}")
        if result.error_report:
            lines.append(f"    row errors: {result.error_report}")
    lines.append(
        f"  built: {len(summary.built)}  uploaded: {len(summary.uploaded)}  "
        f"processed: {len(summary.processed)}  waiting: {len(summary.waiting)}"
    )
    for name in summary.invalid + summary.refused:
        lines.append(f"  NOT deposited: {name} (see `accrochage status {name}`)")
    for error in summary.errors:
        lines.append(f"  ERROR {error}")
    if summary.timed_out:
        lines.append("  time limit reached: run `accrochage deposit now --wait` again later")
    return lines


def _not_imported(result: ImportResult) -> list[str]:
    if result.deferred:
        return [f"  waiting {result.file}: {result.failure}"]
    return [
        f"  NOT imported {result.file}: {result.failure}",
        f"    set aside: {result.moved_to} (reason in {result.error_report})",
    ]


def render_status(data: dict[str, Any], *, tz: str) -> None:
    """Print ``status``, times in ``tz`` (the schedule's timezone)."""
    counts = data["passages"]
    click.echo("Passages: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    if counts.get("invalid"):
        click.echo(
            f"Invalid passages: {counts['invalid']} (rows to correct and re-import; "
            "`accrochage rejects` shows why)"
        )
    for source in data["imports"]:
        if source["invalid"]:
            unknown = source.get("unidentified") or 0
            detail = (
                f", {unknown} without a known idTechnique (only in the report)" if unknown else ""
            )
            click.echo(
                f"Invalid rows: {source['invalid']} in {source['name']}{detail} "
                f"(imported {human_time(source['imported_at'], tz)}): see {source['error_report']}"
            )
    click.echo("Batches:")
    for b in data["batches"]:
        c = b["counts"]
        if b.get("action") == "SUPPRESSION":
            click.echo(
                f"  {b['name']}  {b['status']}  SUPPRESSION of {b['passages']} passages "
                f"(withdrawn {b['accepted']}, refused {b['rejected']})"
            )
        else:
            click.echo(
                f"  {b['name']}  {b['status']}  {b['passages']} passages "
                f"(accepted {c.get('accepted', 0)}, rejected {c.get('rejected', 0)}, "
                f"waiting {c.get('batched', 0) + c.get('deposited', 0)})"
            )
        if b["status"] in ("file_rejected", "invalid", "report_quarantined") and b["message"]:
            click.echo(f"      {b['message']}")
    if not data["batches"]:
        click.echo("  none yet")
    _render_withdrawals(data)
    dl = data["deadlines"]
    click.echo(f"Deadlines (3 months after delivery; today {dl['today']}):")
    click.echo(
        f"  overdue: {len(dl['overdue'])}   due within {dl['within_days']} days: {len(dl['due'])}"
    )
    for p in (dl["overdue"] + dl["due"])[:20]:
        click.echo(f"    {p['deadline']}  {p['id_technique']}  {p['holder']}  {p['status']}")
    if data["inbox_unhandled"]:
        click.echo("Inbox entries not imported:")
    for notice in data["inbox_unhandled"]:
        click.echo(f"  {notice['name']}: {notice['message']}")
    late = data.get("late", [])
    if late:
        click.echo(f"Declared late (after the 3-month deadline): {len(late)}")
        for p in late[:20]:
            click.echo(
                f"    {p['deadline']}  {p['id_technique']}  {p['holder']}  {p['status']}"
                f"  (declared {human_time(p['late_at'], tz)})"
            )
    click.echo("Last events:")
    for e in data["events"]:
        click.echo(f"  {human_time(e['at'], tz)} {e['level']:7} {e['message']}")


_WITHDRAWAL_WORDS = {
    "withdrawing": "SUPPRESSION under way",
    "withdraw_rejected": "SUPPRESSION refused by the CDC",
    "withdrawn": "withdrawn at the CDC",
}


def _render_withdrawals(data: dict[str, Any]) -> None:
    """Withdrawals at the CDC and corrections (``status``)."""
    held = data.get("corrections_held") or []
    if held:
        click.echo(f"Corrections held ({len(held)}): `accrochage correct ID` sends them")
        for c in held:
            click.echo(
                f"  {c['id_technique']}  accepted on {c['accepted_on']}, other data in "
                + ", ".join(c["fields"])
            )
    withdrawals = data.get("withdrawals") or []
    if withdrawals:
        click.echo("Withdrawals at the CDC:")
    for w in withdrawals:
        what = _WITHDRAWAL_WORDS.get(w["status"], w["status"])
        if w["correction"]:
            what += " (correction of " + ", ".join(w["correction"]) + ")"
        click.echo(
            f"  {w['id_technique']}  {what}  {w['date']}"
            + (f"  reason: {w['reason']}" if w["reason"] and w["reason"] != "correction" else "")
        )
        if w["message"] and w["status"] == "withdraw_rejected":
            click.echo(f"      CDC: {w['message']}")


def render_batch(data: dict[str, Any], *, tz: str) -> None:
    """Print ``status BATCH``, times in ``tz``."""
    click.echo(
        f"{data['name']}: {data['status']}  ({data['passages']} passages, "
        f"schema {data['schema_version']}, sha256 {data['sha256'][:12]}...)"
    )
    if data["message"]:
        click.echo(f"  {data['message']}")
    click.echo("  passages: " + ", ".join(f"{k} {v}" for k, v in sorted(data["counts"].items())))
    click.echo("Attempts:")
    for a in data["attempts"]:
        click.echo(
            f"  {human_time(a['started_at'], tz)} {a['kind']}: {a['outcome'] or 'unfinished'}"
            + (f" ({a['message']})" if a["message"] else "")
        )
        for path in a["evidence"]:
            click.echo(f"      evidence: {path}")
    click.echo("Documents:")
    for d in data["documents"]:
        click.echo(f"  {d['kind']}: {d['path']} (sha256 {d['sha256'][:12]}...)")
    click.echo("Events:")
    for e in data["events"]:
        click.echo(f"  {human_time(e['at'], tz)} {e['level']:7} {e['message']}")


def render_rejects(data: dict[str, Any]) -> None:
    """Print ``rejects``: rejected passages, then invalid ones with their reasons."""
    if not data["rejects"]:
        click.echo("No rejected passage.")
    for p in data["rejects"]:
        refused = " (withdrawal refused)" if p["status"] == "withdraw_rejected" else ""
        click.echo(
            f"{p['id_technique']}  {p['holder']}  {p['certification_code']}  "
            f"[{p['cdc_class']}]{refused}"
        )
        click.echo(f"    CDC: {p['cdc_message']}")
        click.echo(f"    what to do: {p['hint']}")
    if data["invalid"]:
        click.echo(
            f"Invalid passages ({len(data['invalid'])}): correct the row and re-import it "
            "(or `accrochage withdraw ID` to never declare it)"
        )
    for p in data["invalid"]:
        where = (
            f"{p['source_file']} row {p['source_row']}" if p["source_file"] else "source unknown"
        )
        click.echo(f"{p['id_technique']}  {p['certification_code'] or '?'}  ({where})")
        for reason in p["reasons"]:
            click.echo(f"    {reason}")


def render_service(data: dict[str, Any]) -> None:
    """Print the service lines of ``status``: runs, schedule, whether the service runs."""
    running = f"running (pid {data['pid']})" if data["running"] else "not running"
    seen = f", last seen {data['last_seen']}" if data["last_seen"] else ""
    click.echo(f"Service (accrochage run): {running}{seen}")
    last = data["last_run"]
    if last:
        outcome = "ok" if last["ok"] else "FAILED"
        click.echo(f"Last run: {last['at']} {outcome}: {last['summary']}")
    click.echo(f"Last successful run: {data['last_successful_run'] or 'never'}")
    click.echo(
        "Next scheduled runs: " + ", ".join(f"{job} {at}" for job, at in data["next_runs"].items())
    )
