"""The status page as one self-contained French HTML document (inline CSS and SVG only).

No script, no font, no image, no link to anything outside the page: it opens offline and can
be mailed. Every value from the store is escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from agent.notify_texts import class_hint, class_label
from agent.rows import Passage
from agent.status_page import PageData
from agent.svg import Bar, bar_chart, line_chart

RED, ORANGE, BLUE = "#c62828", "#ef6c00", "#1565c0"

BATCH_LABELS = {
    "built": "prêt à déposer",
    "invalid": "invalide (jamais envoyé)",
    "uploading": "envoi en cours",
    "uploaded": "déposé, en attente de la CDC",
    "accepted": "accepté",
    "partly_rejected": "traité avec des rejets",
    "file_rejected": "refusé en entier",
}
PASSAGE_LABELS = {
    "pending": "en attente de dépôt",
    "batched": "dans un fichier prêt",
    "deposited": "déposé, en attente de la CDC",
    "accepted": "accepté",
    "rejected": "rejeté",
    "invalid": "invalide",
    "withdrawn": "retiré",
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;
background:#f4f5f7}
header{background:#0d3b66;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px}header p{margin:4px 0 0;opacity:.85}
main{max-width:1100px;margin:0 auto;padding:16px 32px 48px}
section{background:#fff;border-radius:8px;padding:16px 24px;margin:16px 0;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{font-size:19px;margin:0 0 4px}p.help{color:#555;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 130px;background:#fff;border-radius:8px;padding:12px 16px;
box-shadow:0 1px 3px rgba(0,0,0,.12);border-top:5px solid #90a4ae}
.card b{display:block;font-size:28px}.card span{color:#444}
.card.red{border-color:#c62828}.card.orange{border-color:#ef6c00}
.card.green{border-color:#2e7d32}.card.blue{border-color:#1565c0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right}
.late{color:#c62828;font-weight:bold}.tag{padding:2px 8px;border-radius:10px;
font-size:12px;background:#eceff1;white-space:nowrap}
.tag.ok{background:#e8f5e9;color:#1b5e20}.tag.ko{background:#ffebee;color:#b71c1c}
.tag.wait{background:#fff3e0;color:#e65100}
.legend span{display:inline-block;margin-right:16px;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
svg{width:100%;height:auto}blockquote{margin:4px 0;color:#333;font-style:italic}
.empty{color:#2e7d32}
"""


def render_page(data: PageData) -> str:
    """The whole page."""
    stamp = data.generated_at.strftime("%d/%m/%Y à %H:%M")
    last = _fr_time(data.last_success, data) if data.last_success else "aucune"
    body = [
        "<header><h1>Déclarations à la Caisse des Dépôts (accrochage certificateur)</h1>",
        f"<p>État au {escape(stamp)} · dernière exécution réussie de l'agent : "
        f"{escape(last)}</p></header><main>",
        _cards(data),
        _timeline(data),
        _deadline_table(data),
        _batches(data),
        _acceptance(data),
        _rejects(data),
        _invalid(data),
        "</main>",
    ]
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Accrochage certificateur : état des déclarations</title>"
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def _fr_time(stamp: str, data: PageData) -> str:
    """A stored UTC time, shown in the agent's timezone (that of the page's own time)."""
    moment = dt.datetime.fromisoformat(stamp).astimezone(data.generated_at.tzinfo)
    return moment.strftime("%d/%m/%Y %H:%M")


def _fr_date(day: object) -> str:
    text = str(day)
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}"


def _cards(data: PageData) -> str:
    counts = data.counts
    waiting = sum(counts.get(k, 0) for k in ("pending", "batched", "deposited"))
    cards = [
        ("green", counts.get("accepted", 0), "acceptés par la CDC"),
        ("blue", waiting, "en cours (à déposer ou déposés)"),
        ("red", len(data.overdue), "en retard (délai de 3 mois dépassé)"),
        ("orange", len(data.due), f"à déclarer dans les {data.deadline_days} jours"),
        ("red", counts.get("rejected", 0), "rejetés par la CDC"),
        ("orange", counts.get("invalid", 0), "lignes invalides à corriger"),
    ]
    items = "".join(
        f'<div class="card {color}"><b>{value}</b><span>{escape(label)}</span></div>'
        for color, value, label in cards
    )
    return f'<section><h2>En un coup d\'œil</h2><div class="cards">{items}</div></section>'


def _timeline(data: PageData) -> str:
    horizon = data.today.toordinal() + data.deadline_days
    bars = [Bar("En retard", len(data.overdue), RED, "Passages dont le délai est dépassé")]
    for start, count in data.weeks:
        color = ORANGE if start.toordinal() <= horizon else BLUE
        label = f"{start:%d/%m}"
        bars.append(Bar(label, count, color, f"Semaine du {_fr_date(start)} : {count} passage(s)"))
    chart = bar_chart(bars, title="Passages à déclarer par semaine d'échéance")
    legend = (
        '<p class="legend">'
        f'<span><i style="background:{RED}"></i>délai dépassé</span>'
        f'<span><i style="background:{ORANGE}"></i>échéance dans les {data.deadline_days} '
        "jours</span>"
        f'<span><i style="background:{BLUE}"></i>plus tard</span></p>'
    )
    return (
        "<section><h2>Échéances</h2>"
        '<p class="help">Chaque certificat doit être déclaré à la CDC dans les 3 mois qui suivent '
        "sa délivrance. Nombre de passages pas encore acceptés, par semaine d'échéance "
        "(semaine commençant le lundi indiqué).</p>"
        f"{chart}{legend}</section>"
    )


def _deadline_table(data: PageData) -> str:
    rows = data.overdue + data.due
    if not rows:
        return ""
    lines = "".join(
        f"<tr><td{' class=late' if p in data.overdue else ''}>{_fr_date(p.deadline)}"
        f"{' (en retard)' if p in data.overdue else ''}</td>"
        f"<td>{escape(p.id_technique)}</td><td>{escape(p.holder)}</td>"
        f"<td>{escape(p.certification_code)}</td>"
        f"<td>{escape(PASSAGE_LABELS.get(p.status, p.status))}</td></tr>"
        for p in rows[:50]
    )
    more = f"<p>… et {len(rows) - 50} autre(s).</p>" if len(rows) > 50 else ""
    return (
        "<section><h2>Passages urgents</h2>"
        '<p class="help">En retard ou à échéance proche. Titulaire : initiales et année de '
        "naissance.</p><table><tr><th>Échéance</th><th>idTechnique</th><th>Titulaire</th>"
        f"<th>Certification</th><th>État</th></tr>{lines}</table>{more}</section>"
    )


def _tag(status: str) -> str:
    kind = {"accepted": "ok", "partly_rejected": "ko", "file_rejected": "ko", "invalid": "ko"}
    css = kind.get(status, "wait")
    return f'<span class="tag {css}">{escape(BATCH_LABELS.get(status, status))}</span>'


def _batches(data: PageData) -> str:
    if not data.batches:
        return "<section><h2>Fichiers déposés</h2><p>Aucun fichier pour l'instant.</p></section>"
    lines = "".join(
        f"<tr><td>{escape(b.name)}</td><td>{_fr_time(b.created_at, data)}</td>"
        f"<td>{_tag(b.status)}</td><td class=num>{b.passages}</td>"
        f"<td class=num>{counts.get('accepted', 0)}</td>"
        f"<td class=num>{counts.get('rejected', 0)}</td>"
        f"<td class=num>{counts.get('batched', 0) + counts.get('deposited', 0)}</td></tr>"
        for b, counts in data.batches[:40]
    )
    return (
        "<section><h2>Fichiers déposés</h2>"
        '<p class="help">Les fichiers XML envoyés au portail de la CDC, du plus récent au plus '
        "ancien.</p><table><tr><th>Fichier</th><th>Créé le</th><th>État</th>"
        "<th>Passages</th><th>Acceptés</th><th>Rejetés</th><th>En attente</th></tr>"
        f"{lines}</table></section>"
    )


def _acceptance(data: PageData) -> str:
    if not data.acceptance:
        chart = "<p>Aucun fichier traité par la CDC pour l'instant.</p>"
    else:
        chart = line_chart(data.acceptance, title="Taux d'acceptation par fichier traité")
    return (
        "<section><h2>Taux d'acceptation</h2>"
        '<p class="help">Part des passages acceptés par la CDC, pour chaque fichier traité '
        f"(par date de traitement).</p>{chart}</section>"
    )


def _rejects(data: PageData) -> str:
    if not data.rejects:
        return (
            '<section><h2>Rejets de la CDC</h2><p class="empty">Aucun passage rejeté '
            "en attente de correction.</p></section>"
        )
    rows = []
    for klass, group in data.rejects.items():
        messages = sorted({p.cdc_message or "" for p in group} - {""})[:3]
        quoted = "".join(f"<blockquote>« {escape(m)} »</blockquote>" for m in messages)
        examples = ", ".join(f"{escape(p.id_technique)} ({escape(p.holder)})" for p in group[:6])
        rows.append(
            f"<tr><td><b>{escape(class_label('fr', klass))}</b></td><td class=num>{len(group)}"
            f"</td><td>{quoted}<b>Que faire :</b> {escape(class_hint('fr', klass, None))}"
            f"<br><small>{examples}</small></td></tr>"
        )
    return (
        "<section><h2>Rejets de la CDC, par motif</h2>"
        '<p class="help">Pour corriger : <code>accrochage rejects --csv corrections.csv</code>, '
        "corriger le fichier, le déposer dans la boîte d'entrée de l'agent.</p>"
        "<table><tr><th>Motif</th><th>Passages</th><th>Message de la CDC et que faire</th></tr>"
        f"{''.join(rows)}</table></section>"
    )


def _invalid(data: PageData) -> str:
    if not data.invalid and not data.unidentified:
        return (
            '<section><h2>Lignes invalides à corriger</h2><p class="empty">Aucune ligne '
            "invalide.</p></section>"
        )
    lines = "".join(
        _invalid_line(row.passage, row.source_file, row.source_row) for row in data.invalid[:100]
    )
    unknown = "".join(
        f"<p>{s.unidentified} ligne(s) sans idTechnique connu dans {escape(s.name)} : voir "
        f"le rapport <code>{escape(s.error_report or '')}</code>.</p>"
        for s in data.unidentified
    )
    return (
        "<section><h2>Lignes invalides à corriger</h2>"
        '<p class="help">Lignes des exports qui ne respectent pas les règles de la CDC : '
        "corrigez-les dans le fichier d'origine puis déposez-le à nouveau.</p>"
        "<table><tr><th>idTechnique</th><th>Fichier, ligne</th><th>Problèmes</th></tr>"
        f"{lines}</table>{unknown}</section>"
    )


def _invalid_line(passage: Passage, source: str | None, row: int | None) -> str:
    where = f"{escape(source)}, ligne {row}" if source else "inconnu"
    reasons = "<br>".join(escape(reason) for reason in passage.reasons)
    return f"<tr><td>{escape(passage.id_technique)}</td><td>{where}</td><td>{reasons}</td></tr>"
