"""Human renderings of the service commands' results (``--json`` prints the data as is)."""

from __future__ import annotations

from typing import Any

import click

from agent.deposit import RunSummary


def summary_lines(summary: RunSummary) -> list[str]:
    """The end-of-run summary of ``deposit now``."""
    lines = ["Summary:"]
    for result in summary.imported:
        detail = result.failure or (
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


def render_status(data: dict[str, Any]) -> None:
    """Print ``status``."""
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
                f"(imported {source['imported_at']}): see {source['error_report']}"
            )
    click.echo("Batches:")
    for b in data["batches"]:
        c = b["counts"]
        click.echo(
            f"  {b['name']}  {b['status']}  {b['passages']} passages "
            f"(accepted {c.get('accepted', 0)}, rejected {c.get('rejected', 0)}, "
            f"waiting {c.get('batched', 0) + c.get('deposited', 0)})"
        )
        if b["status"] in ("file_rejected", "invalid", "report_quarantined") and b["message"]:
            click.echo(f"      {b['message']}")
    if not data["batches"]:
        click.echo("  none yet")
    dl = data["deadlines"]
    click.echo(f"Deadlines (3 months after delivery; today {dl['today']}):")
    click.echo(
        f"  overdue: {len(dl['overdue'])}   due within {dl['within_days']} days: {len(dl['due'])}"
    )
    for p in (dl["overdue"] + dl["due"])[:20]:
        click.echo(f"    {p['deadline']}  {p['id_technique']}  {p['holder']}  {p['status']}")
    click.echo("Last events:")
    for e in data["events"]:
        click.echo(f"  {e['at']} {e['level']:7} {e['message']}")


def render_batch(data: dict[str, Any]) -> None:
    """Print ``status BATCH``."""
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
            f"  {a['started_at']} {a['kind']}: {a['outcome'] or 'unfinished'}"
            + (f" ({a['message']})" if a["message"] else "")
        )
        for path in a["evidence"]:
            click.echo(f"      evidence: {path}")
    click.echo("Documents:")
    for d in data["documents"]:
        click.echo(f"  {d['kind']}: {d['path']} (sha256 {d['sha256'][:12]}...)")
    click.echo("Events:")
    for e in data["events"]:
        click.echo(f"  {e['at']} {e['level']:7} {e['message']}")


def render_rejects(data: dict[str, Any]) -> None:
    """Print ``rejects``: rejected passages, then invalid ones with their reasons."""
    if not data["rejects"]:
        click.echo("No rejected passage.")
    for p in data["rejects"]:
        click.echo(
            f"{p['id_technique']}  {p['holder']}  {p['certification_code']}  [{p['cdc_class']}]"
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
