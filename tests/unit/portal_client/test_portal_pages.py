"""Reading the history table's text through the profile (no browser needed)."""

from __future__ import annotations

import pytest

from portal.base import DepositState
from portal.errors import ProfileMismatch
from portal.pages import RawRow, parse_history
from portal.profile import PortalProfile

HEADERS = ["Nom du fichier", "Date de dépôt", "Taille", "Statut", "Documents"]


def _row(name: str, status: str, *controls: str) -> RawRow:
    return RawRow(
        cells=(name, "26/11/2026 15:24", "7,5 Ko", status, " ".join(controls)),
        controls=controls,
    )


def test_pages_parse_history_maps_states_and_documents() -> None:
    """Each row becomes an entry; states come from the profile; links tell availability."""
    rows = [
        _row("b.xml", "Traité  avec\nsuccès", "Accusé de réception", "Accusé de traitement"),
        _row("a.xml", "En cours de traitement", "Accusé de réception"),
    ]
    entries = parse_history(HEADERS, rows, PortalProfile())
    assert [(e.file_name, e.state, e.receipt_available, e.report_available) for e in entries] == [
        ("b.xml", DepositState.PROCESSED, True, True),
        ("a.xml", DepositState.PROCESSING, True, False),
    ]
    assert entries[0].status_label == "Traité avec succès"
    assert entries[0].deposited_at == "26/11/2026 15:24"


def test_pages_parse_history_unknown_label_is_never_guessed() -> None:
    """A status missing from the mapping is UNKNOWN, the row kept; other rows still read."""
    rows = [_row("x.xml", "Archivé"), _row("y.xml", "Traité avec succès")]
    entries = parse_history(HEADERS, rows, PortalProfile())
    assert [(e.file_name, e.status_label, e.state) for e in entries] == [
        ("x.xml", "Archivé", DepositState.UNKNOWN),
        ("y.xml", "Traité avec succès", DepositState.PROCESSED),
    ]


def test_pages_parse_history_missing_column_is_profile_mismatch() -> None:
    """A configured column the table lacks names the profile key and the real columns."""
    profile = PortalProfile(column_status="État")
    with pytest.raises(ProfileMismatch, match=r"'État' \(profile column_status\)"):
        parse_history(HEADERS, [], profile)


def test_pages_parse_history_skips_empty_message_row_only() -> None:
    """A full-width "nothing yet" row is skipped; any other short row is a mismatch."""
    empty = RawRow(cells=("Aucun fichier déposé pour le moment.",), controls=())
    assert parse_history(HEADERS, [empty], PortalProfile()) == []
    odd = RawRow(cells=("lot.xml", "hier"), controls=())
    with pytest.raises(ProfileMismatch, match="does not match"):
        parse_history(HEADERS, [odd], PortalProfile())


def test_pages_parse_history_columns_in_any_order() -> None:
    """Columns are found by their header text, not their position."""
    headers = ["Statut", "Documents", "Nom du fichier", "Date de dépôt"]
    row = RawRow(cells=("Rejeté", "", "z.xml", "01/01/2027"), controls=())
    (entry,) = parse_history(headers, [row], PortalProfile())
    assert (entry.file_name, entry.state, entry.receipt_available) == (
        "z.xml",
        DepositState.REJECTED,
        False,
    )
