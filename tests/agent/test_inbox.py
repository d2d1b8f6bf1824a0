"""Inbox helpers: deadlines, the minimal holder summary, unusable files kept and reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from agent.context import RunContext
from agent.inbox import import_inbox
from agent.intake import add_months, holder_summary
from agent.store import Store
from builders.cdc.models import DossierFormation, IdentificationTitulaire, Titulaire
from builders.exports.columns import CANONICAL
from tests.agent.helpers import inbox, make_config, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 15), dt.date(2026, 4, 15)),
        (dt.date(2025, 11, 30), dt.date(2026, 2, 28)),
        (dt.date(2023, 11, 30), dt.date(2024, 2, 29)),
        (dt.date(2026, 10, 31), dt.date(2027, 1, 31)),
    ],
)
def test_inbox_deadline_is_three_calendar_months(day: dt.date, expected: dt.date) -> None:
    """Deadline = delivery + 3 months, clamped to the month's last day."""
    assert add_months(day, 3) == expected


def test_inbox_holder_summary_is_minimal() -> None:
    """Only initials and birth year (or the branch) are kept for display."""
    titulaire = Titulaire(
        nomNaissance="Martin", prenom1="Élodie", anneeNaissance=1990, sexe="F", codeInsee="69123"
    )
    assert holder_summary(IdentificationTitulaire(titulaire=titulaire)) == "É.M. 1990"
    dossier = DossierFormation(
        idDossier="1234567890123", nomTitulaire="Roux", prenom1Titulaire="Ana"
    )
    assert holder_summary(IdentificationTitulaire(dossierFormation=dossier)) == "A.R. (dossier CPF)"


def test_inbox_unusable_file_set_aside_with_reason(tmp_path: Path) -> None:
    """A file that cannot be read at all goes to failed/ with a reason file; an event names it."""
    config = make_config(tmp_path)
    bad = inbox(config) / "broken.csv"
    bad.write_text("nothing;useful\n1;2\n", encoding="utf-8")
    (inbox(config) / "notes.md").write_text("ignored", encoding="utf-8")
    with Store.open(config.agent.data_dir / "agent.sqlite3") as store:
        [result] = import_inbox(
            store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None)
        )
        assert result.failure and "no header matches" in result.failure
        assert [e.kind for e in store.events()] == ["inbox_unhandled", "import_failed"]
        message = store.events()[1].message
        assert "broken.csv: not imported, set aside in failed/broken.csv" in message
        assert store.sources() == []  # nothing of it kept: dropped again, it is tried again
    reason = Path(result.error_report or "")
    assert reason == inbox(config) / "failed" / "broken.csv.reason.txt"
    assert "no header matches" in reason.read_text(encoding="utf-8")
    assert reason.stat().st_mode & 0o777 == 0o600
    assert not bad.exists() and (inbox(config) / "failed" / "broken.csv").exists()
    assert (inbox(config) / "notes.md").exists()


def test_inbox_reads_every_suffix_build_reads(tmp_path: Path) -> None:
    """A ``.txt`` CSV and an ``.xlsm`` workbook are imported like ``.csv``/``.xlsx``."""
    config = make_config(tmp_path)
    write_export(inbox(config) / "export.txt", [row("TXT-1")])
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(CANONICAL))
    sheet.append([row("XLSM-1").get(name, "") for name in CANONICAL])
    workbook.save(inbox(config) / "export.XLSM")
    (inbox(config) / "notes.md").write_text("not an export", encoding="utf-8")
    with Store.open(config.agent.data_dir / "agent.sqlite3") as store:
        results = import_inbox(
            store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None)
        )
    assert sorted((r.file, r.valid, r.failure) for r in results) == [
        ("export.XLSM", 1, None),
        ("export.txt", 1, None),
    ]
    assert (inbox(config) / "notes.md").exists()


def test_inbox_xlsx_below_a_title_with_a_hidden_row_warns_in_events(tmp_path: Path) -> None:
    """The inbox finds a table below a title, keeps spreadsheet row numbers, and records the
    file's warnings (here a hidden row) as import_warning events."""
    config = make_config(tmp_path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Jury du 28/06/2024"])
    sheet.append(list(CANONICAL))
    for item in (row("A1"), row("A2", sexe="Z")):
        sheet.append([item.get(name, "") for name in CANONICAL])
    sheet.row_dimensions[3].hidden = True
    workbook.save(inbox(config) / "jury.xlsx")
    with Store.open(config.agent.data_dir / "agent.sqlite3") as store:
        [result] = import_inbox(
            store, RunContext.create(config, now=lambda: NOW, progress=lambda _l: None)
        )
        assert (result.valid, result.invalid, result.warnings) == (1, 1, 1)
        warnings = [e.message for e in store.events() if e.kind == "import_warning"]
    assert warnings == [
        "jury.xlsx:3: 1 hidden row(s) (hidden by a filter or by hand) read like the others: 3; "
        "delete them from the export if they must not be declared"
    ]
    report = Path(result.error_report or "").read_text(encoding="utf-8")
    assert ";4;sexe;" in report or ",4,sexe," in report
