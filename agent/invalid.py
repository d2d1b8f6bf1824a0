"""Invalid rows whose idTechnique is known: their passage's reasons, and their re-export.

A bad row of an export becomes an ``invalid`` passage when
:class:`builders.exports.results.RowResult` says which passage it is (``id_technique`` and
``emitter``). The passage keeps no data of the row beyond what a valid one keeps in its summary:
its reasons are "field: message", quoting the raw value only for fields that do not identify the
holder (names, birth date, sex, birth place, NIR, CPF dossier), whose reasons say the field and
the problem only.

To correct them, :func:`invalid_rows` reads the rows again from the imported file kept under
``inbox/imported/`` (the store never holds them), as canonical columns ready to re-import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from agent.rows import Passage
from agent.store import StorePort
from builders.errors import BuildError
from builders.exports import columns as cols
from builders.exports.results import RowError
from builders.exports.table import open_table
from builders.settings import BuildSettings

log = logging.getLogger(__name__)

#: Fields whose value identifies the holder: reasons never quote it.
IDENTITY_FIELDS: Final = frozenset(
    {
        *cols.TITULAIRE,
        *cols.DOSSIER,
        *cols.NATIONAL,
        "dateNaissance",
        "identifiantNational",
        "titulaire",
        "dossierFormation",
        "identificationTitulaire",
    }
)
_TOKEN: Final = re.compile(r"\w{2,}")
#: Numbers in a message that may come from the holder's data: ISO dates, INSEE codes and NIRs
#: (5 characters or more, Corsica's 2A/2B included), and any other whole number.
_NUMBER: Final = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d[0-9AB]\d{3,}\b|\b\d+\b")
#: Numbers of 3 digits or more that are limits of the identity fields, not data.
_LIMITS: Final = frozenset({"1900", "2099", "250"})


def _scrubbed(message: str, value: str) -> str:
    """``message`` without the holder's data: the words and numbers of ``value``, dates,
    INSEE codes and NIRs (a message may quote another identity cell, or re-format a date).
    Numbers of 1 or 2 digits that are not in ``value``, and the known limits, are kept
    ("at most 60 characters", "a year from 1900 to 2099").
    """
    digits = re.sub(r"\D", "", value)

    def hide(found: re.Match[str]) -> str:
        text = found.group()
        if len(text) >= 3:
            return text if text in _LIMITS else "…"
        personal = len(text) == 2 and text in digits
        return "…" if personal else text

    message = _NUMBER.sub(hide, message)
    for token in sorted(set(_TOKEN.findall(value)), key=len, reverse=True):
        message = re.sub(rf"\b{re.escape(token)}\b", "…", message)
    return message


def reason(error: RowError) -> str:
    """One error as a stored reason: "field: message", the value only if not identifying."""
    if error.field in IDENTITY_FIELDS:
        return f"{error.field}: {_scrubbed(error.message, error.value or '')}"
    if error.value:
        return f"{error.field}: {error.message} (value {error.value!r})"
    return f"{error.field}: {error.message}"


def reasons(errors: Sequence[RowError]) -> list[str]:
    """The stored reasons of a bad row, in the importer's order."""
    return [reason(error) for error in errors]


def invalid_rows(
    store: StorePort, passages: Sequence[Passage], settings: BuildSettings
) -> Iterator[tuple[Passage, dict[str, str] | None]]:
    """Each invalid passage with its row as canonical columns (None when the file is gone).

    The rows are read from the imported files under ``inbox/imported/``, one pass per file.
    """
    by_file: dict[str, dict[int, Passage]] = {}
    lost: list[Passage] = []
    for passage in passages:
        where = store.passage_source(passage.id)
        source = store.source(where[0]) if where else None
        if where is None or source is None or not source.moved_to:
            lost.append(passage)
            continue
        by_file.setdefault(source.moved_to, {})[where[1]] = passage
    for path, wanted in by_file.items():
        found = _read_rows(Path(path), set(wanted), settings)
        for number, passage in sorted(wanted.items()):
            yield passage, found.get(number)
    for passage in lost:
        yield passage, None


def _read_rows(path: Path, numbers: set[int], settings: BuildSettings) -> dict[int, dict[str, str]]:
    """The wanted rows of an export as canonical column -> cell text ({} if unreadable)."""
    found: dict[int, dict[str, str]] = {}
    try:
        with open_table(path, settings) as table:
            index = {name: table.headers.index(header) for name, header in table.columns.items()}
            for number, cells in table.rows:
                if number in numbers:
                    found[number] = {
                        name: (cells[i].strip() if i < len(cells) else "")
                        for name, i in index.items()
                    }
                    if len(found) == len(numbers):
                        break
    except (BuildError, OSError) as exc:
        log.warning("%s: cannot read the invalid rows again: %s", path, exc)
    return found
