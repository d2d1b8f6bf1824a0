"""What became of one row of an export: the row-result types and the errors of a bad row.

:class:`RowResult` is a valid ``PassageRecord``, or every problem found in the row (file,
spreadsheet row number, CDC field, raw value, what was expected), or a skipped row (``admis``
false). ``model_errors`` turns pydantic's errors into :class:`RowError`: the CDC field is the
leaf of the error's location, the value is the raw cell, the message says what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from builders.cdc.models import PassageRecord

__all__ = ["DECLARANT_KEYS", "RowError", "RowResult", "bad_row", "model_errors"]


@dataclass(frozen=True)
class RowError:
    """One problem in one row."""

    source: str
    row: int
    field: str
    value: str
    message: str


@dataclass(frozen=True)
class RowResult:
    """What became of one row: a record, or its errors, or skipped (``admis`` false).

    For a bad row, the fields below say what can still be known of it, so that a caller can
    track the row's passage (e.g. mark it invalid, and let a corrected row replace it):

    - ``id_technique``: the row's idTechnique when it is reliable: the cell's value when the
      file has the column (non-empty, 1..255 characters, no error on it), or the derived id
      when it has none and every field the derivation uses is present and valid. None
      otherwise. Valid rows carry their record's id.
    - ``emitter``: idClientEmetteur (the cell or the ``[declarant]`` default) when valid.
    - ``certification_code``: the raw ``code`` cell, for display (None when empty).
    - ``delivery_date``: dateDebutValidite when it was read and passed validation.

    A valid row also carries its ``warnings`` (``builders.exports.plausibility``: declared, but
    the operator should look) and its ``holder_key`` (``builders.exports.holders``).
    """

    source: str
    row: int
    record: PassageRecord | None
    errors: tuple[RowError, ...]
    skipped: bool
    id_technique: str | None = None
    emitter: str | None = None
    certification_code: str | None = None
    delivery_date: dt.date | None = None
    warnings: tuple[RowError, ...] = ()
    holder_key: int | None = None

    def without_record(self) -> RowResult:
        """This result without its record (the rest kept), for a process that sends the
        record on in another form. Built field by field: ``dataclasses.replace`` is several
        times slower, and the agent's import pool does this for every valid row."""
        return RowResult(
            self.source,
            self.row,
            None,
            self.errors,
            skipped=self.skipped,
            id_technique=self.id_technique,
            emitter=self.emitter,
            certification_code=self.certification_code,
            delivery_date=self.delivery_date,
            warnings=self.warnings,
            holder_key=self.holder_key,
        )


DECLARANT_KEYS: Final = {
    "idClientEmetteur": "id_client_emetteur",
    "idClientCertificateur": "id_client_certificateur",
    "idContrat": "id_contrat",
    "natureDeposant": "nature_deposant",
}
_BIRTH: Final = frozenset({"anneeNaissance", "moisNaissance", "jourNaissance"})
_BCR_FIELDS: Final = frozenset({"idClientEmetteur", "idClientCertificateur"})
_DIGCOMP_ITEM: Final = frozenset({"niveau", "domaineCompetenceId", "competenceId"})
#: Fields whose error makes a derived idTechnique unreliable: its inputs (``idtech``), and the
#: blocks whose own checks cover them (a correction of any of them changes the derived id).
_DERIVATION_INPUTS: Final = frozenset(
    {
        "code",
        "dateDebutValidite",
        "nomNaissance",
        "prenom1",
        "sexe",
        *_BIRTH,
        "dateNaissance",
        "nir",
        "identifiantNational",
        "idDossier",
        "titulaire",
        "dossierFormation",
        "identificationTitulaire",
        "passageCertification",
    }
)
_MAX_ID: Final = 255


def bad_row(
    source: str,
    row: int,
    errors: Sequence[RowError],
    values: Mapping[str, Any],
    *,
    id_cell: str | None,
    code_cell: str,
) -> RowResult:
    """A bad row's result, with what can still be known of it (see ``RowResult``).

    Args:
        source: the file name.
        row: the spreadsheet row number.
        errors: the row's errors.
        values: the row's converted values by canonical name (cells that failed to convert
            are absent), with what the mapper filled in (defaults, the derived idTechnique).
        id_cell: the trimmed idTechnique cell; None when the file has no such column (the
            id in ``values`` was derived).
        code_cell: the trimmed ``code`` cell.
    """
    wrong = {error.field for error in errors}
    emitter = values.get("idClientEmetteur")
    delivery = values.get("dateDebutValidite")
    return RowResult(
        source,
        row,
        None,
        tuple(errors),
        skipped=False,
        id_technique=_known_id(values, wrong, id_cell),
        emitter=emitter if isinstance(emitter, str) and "idClientEmetteur" not in wrong else None,
        certification_code=code_cell or None,
        delivery_date=(
            delivery if isinstance(delivery, dt.date) and "dateDebutValidite" not in wrong else None
        ),
    )


def _known_id(
    values: Mapping[str, Any], wrong: AbstractSet[str], id_cell: str | None
) -> str | None:
    """The bad row's idTechnique when a corrected row would keep it, else None.

    An error on idTechnique itself (empty, too long, or already used by an earlier row of
    the file) gives None: the id cannot be trusted to be this row's alone. A derived id needs
    every input of the derivation present and valid.
    """
    if "idTechnique" in wrong:
        return None
    if id_cell is not None:
        return id_cell if 0 < len(id_cell) <= _MAX_ID else None
    if not wrong.isdisjoint(_DERIVATION_INPUTS):
        return None
    if not (values.get("code") and values.get("dateDebutValidite")):
        return None
    holder = all(values.get(name) for name in ("nomNaissance", "prenom1", "anneeNaissance"))
    if not (holder or values.get("nir") or values.get("idDossier")):
        return None
    found = values.get("idTechnique")
    return found if isinstance(found, str) else None


def model_errors(
    exc: ValidationError,
    *,
    source: str,
    row: int,
    cell: Callable[[str], str],
    columns: AbstractSet[str],
    present: AbstractSet[str],
    failed: set[str],
) -> list[RowError]:
    """One ``RowError`` per field in ``exc``, skipping fields already reported.

    Args:
        exc: the record's validation error.
        source: the file name.
        row: the spreadsheet row number.
        cell: canonical column -> its trimmed cell text ("" when absent).
        columns: the canonical columns the file has.
        present: the columns whose cell is not empty in this row.
        failed: fields already reported (a cell that could not be read); updated.

    Returns:
        The new errors, in pydantic's order.
    """
    found: list[RowError] = []
    for detail in exc.errors(include_url=False):
        field = _leaf(detail)
        if field in failed:
            continue
        failed.add(field)
        column = _column_of(field, present)
        value = cell(column)
        message = _message(detail, field, column, value, columns)
        found.append(RowError(source, row, field, value, message))
    return found


def _message(
    detail: ErrorDetails, field: str, column: str, value: str, columns: AbstractSet[str]
) -> str:
    kind = detail["type"]
    if kind == "missing":
        return _missing(field, column, columns)
    items = [part for part in detail["loc"] if isinstance(part, int)]
    if kind == "string_too_long":
        message = f"at most {detail.get('ctx', {}).get('max_length')} characters"
    elif kind.startswith("string_too") and field in _BCR_FIELDS:
        message = "expected exactly 8 characters (a BCR)"
    elif field in _DIGCOMP_ITEM and items:
        message = f"resultats item {items[-1] + 1}: {detail['msg']}"
    else:
        message = detail["msg"]
    if field in DECLARANT_KEYS and not value:
        message += f" (the [declarant] default {DECLARANT_KEYS[field]})"
    return message


def _missing(field: str, column: str, columns: AbstractSet[str]) -> str:
    if field in DECLARANT_KEYS:
        return (
            f"required: the cell is empty and there is no default; set "
            f"{DECLARANT_KEYS[field]} in the [declarant] section of the config"
        )
    if field not in columns and column not in columns:
        also = " (or dateNaissance)" if field in _BIRTH else ""
        return f"required, but the file has no {field}{also} column"
    if field == "idTechnique":
        return (
            "required: fill it, or remove the idTechnique column to let accrochage "
            "derive stable ids"
        )
    return "required, but the cell is empty"


def _leaf(detail: ErrorDetails) -> str:
    for part in reversed(detail["loc"]):
        if isinstance(part, str):
            return part
    return "passageCertification"


def _column_of(field: str, present: AbstractSet[str]) -> str:
    """The column whose cell holds ``field``'s value."""
    if field in _BIRTH and field not in present:
        return "dateNaissance"
    if field in _DIGCOMP_ITEM:
        return "resultats"
    if field == "identifiantNational":
        return "nir"
    if field == "niveauNumeriqueEuropeen":
        return "scoreGeneral" if "scoreGeneral" in present else "resultats"
    return field
