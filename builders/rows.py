"""One export row (header -> cell text) to one validated ``PassageRecord``, or its errors.

Empty cells mean unknown: the field is left out, which the models and the writer turn into
``xsi:nil="true"`` for "Obligatoire (sauf nil)" fields, an omitted element for optional ones,
and an error for required ones.

Decisions documented here (the dictionary is silent on them):

- Identification branch. A row may fill several branches' columns; exactly one is declared.
  Schema 1.1.5: the first *complete* branch of identifiantNational (``nir`` + ``nomNaissance``),
  dossierFormation (``idDossier``, ``nomTitulaire``, ``prenom1Titulaire``), titulaire
  (``nomNaissance``, ``prenom1``, ``sexe``, birth year); if none is complete, the first one the
  row touches, whose missing fields are then reported. Schema 1.1.2 tries dossierFormation and
  titulaire first: a NIR is ignored when one of them is complete, and a row identified only by
  its NIR is rejected with a message saying that identifiantNational needs 1.1.5.
- ``codePaysNaissance`` left empty for a birth abroad (``codeInsee`` 99xxx) is filled with the
  code's last 3 digits, as the dictionary asks to "report the value" (8.13).
- ``dateNaissance`` fills anneeNaissance/moisNaissance/jourNaissance; when those cells are also
  filled they must agree.
- ``idTechnique``: when the column is absent, it is derived (``builders.idtech``). When the
  column is present, an empty cell is an error: deriving an id for one row of an export that
  otherwise carries its own ids could declare the same certificate twice.
- ``admis`` false skips the row (counted, not an error); an empty ``admis`` cell is an error,
  since declaring a candidate who was not admitted must not happen by default.
- The same idTechnique twice for one emitter in one file: the second row is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from builders import columns as cols
from builders import idtech, rules
from builders.models import XML_CHARS_CHECKED, PassageRecord
from builders.normalize import CellError
from builders.settings import Declarant, SchemaVersion


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
    """What became of one row: a record, or its errors, or skipped (``admis`` false)."""

    source: str
    row: int
    record: PassageRecord | None
    errors: tuple[RowError, ...]
    skipped: bool


_DECLARANT_KEYS: Final = {
    "idClientEmetteur": "id_client_emetteur",
    "idClientCertificateur": "id_client_certificateur",
    "idContrat": "id_contrat",
    "natureDeposant": "nature_deposant",
}
_TITULAIRE_OWN: Final = frozenset(cols.TITULAIRE) - {"nomNaissance"} | {"dateNaissance"}
_BIRTH: Final = ("anneeNaissance", "moisNaissance", "jourNaissance")
_DIGCOMP_ITEM: Final = frozenset({"niveau", "domaineCompetenceId", "competenceId"})


class RowMapper:
    """Turns the rows of one file into records; holds what is computed once per file."""

    def __init__(
        self,
        *,
        source: str,
        columns: Mapping[str, str],
        declarant: Declarant,
        schema_version: SchemaVersion,
    ) -> None:
        """Prepare the mapping of one file.

        Args:
            source: the file name, for errors.
            columns: canonical column -> header in the file (``columns.resolve_headers``).
            declarant: defaults for the declarant columns.
            schema_version: the schema the records target.
        """
        self.source = source
        self._columns = tuple(
            (name, header, cols.CONVERTERS.get(name)) for name, header in columns.items()
        )
        self._present = frozenset(columns)
        self._derive_id = "idTechnique" not in columns
        self._defaults = {
            name: getattr(declarant, key)
            for name, key in _DECLARANT_KEYS.items()
            if getattr(declarant, key) is not None
        }
        self._version = schema_version
        self._context = {rules.SCHEMA_VERSION_KEY: schema_version, XML_CHARS_CHECKED: True}
        self._seen: set[int] = set()

    def map_row(self, number: int, cells: Mapping[str, str]) -> RowResult:
        """Validate one row.

        Args:
            number: the spreadsheet row number.
            cells: header -> cell text, as the reader gives it.

        Returns:
            The row's result: a record, or every error found, or skipped.
        """
        raw: dict[str, str] = {}
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        # One regex over the whole row; cells are looked at one by one only when it fires.
        suspect = rules.bad_xml_char("".join(cells.values())) is not None
        for name, header, convert in self._columns:
            cell = cells.get(header)
            if not cell or not (cell := cell.strip()):
                continue
            raw[name] = cell
            if suspect and (bad := rules.bad_xml_char(cell)) is not None:
                errors.append(self._error(number, name, cell, bad))
            elif convert is None:
                values[name] = cell
            else:
                try:
                    values[name] = convert(cell)
                except CellError as exc:
                    errors.append(self._error(number, name, cell, str(exc)))
        if values.get("admis") is False:
            return RowResult(self.source, number, None, (), skipped=True)
        if "admis" in self._present and "admis" not in raw:
            errors.append(self._error(number, "admis", "", "empty: write oui (admitted) or non"))
        self._complete(number, raw, values, errors)
        failed = {error.field for error in errors}
        try:
            record = PassageRecord.model_validate(self._build(raw, values), context=self._context)
        except ValidationError as exc:
            errors.extend(self._model_errors(number, exc, raw, failed))
            return RowResult(self.source, number, None, tuple(errors), skipped=False)
        if errors:
            return RowResult(self.source, number, None, tuple(errors), skipped=False)
        key = hash((record.declaration.idClientEmetteur, record.passage.idTechnique))
        if key in self._seen:
            why = (
                "the same certificate (code, holder, dateDebutValidite) is on an earlier row"
                if self._derive_id
                else "an earlier row of this file has the same idTechnique"
            )
            error = self._error(number, "idTechnique", raw.get("idTechnique", ""), why)
            return RowResult(self.source, number, None, (error,), skipped=False)
        self._seen.add(key)
        return RowResult(self.source, number, record, (), skipped=False)

    def _error(self, number: int, field: str, value: str, message: str) -> RowError:
        return RowError(self.source, number, field, value, message)

    def _complete(
        self, number: int, raw: dict[str, str], values: dict[str, Any], errors: list[RowError]
    ) -> None:
        """Fill what the row implies: birth date parts, country code, defaults, idTechnique."""
        birth = values.get("dateNaissance")
        if birth is not None:
            for name, part in zip(_BIRTH, birth, strict=True):
                if name not in values:
                    if part is not None:
                        values[name] = part
                elif values[name] != part:
                    message = f"disagrees with {name} {values[name]}"
                    errors.append(
                        self._error(number, "dateNaissance", raw["dateNaissance"], message)
                    )
        insee = values.get("codeInsee")
        if isinstance(insee, str) and insee.startswith("99") and "codePaysNaissance" not in raw:
            values["codePaysNaissance"] = insee[2:]
        for name, default in self._defaults.items():
            if name not in raw:
                values[name] = default
        if self._derive_id:
            values["idTechnique"] = idtech.derive_id_technique(values)

    def _branch(self, raw: Mapping[str, str]) -> str:
        complete = {
            "identifiantNational": "nir" in raw and "nomNaissance" in raw,
            "dossierFormation": all(name in raw for name in cols.DOSSIER),
            "titulaire": all(name in raw for name in ("nomNaissance", "prenom1", "sexe"))
            and ("anneeNaissance" in raw or "dateNaissance" in raw),
        }
        touched = {
            "identifiantNational": "nir" in raw,
            "dossierFormation": any(name in raw for name in cols.DOSSIER),
            "titulaire": any(name in raw for name in _TITULAIRE_OWN),
        }
        order = ["dossierFormation", "titulaire", "identifiantNational"]
        if self._version == "1.1.5":
            order = ["identifiantNational", "dossierFormation", "titulaire"]
        for table in (complete, touched):
            for branch in order:
                if table[branch]:
                    return branch
        return "titulaire"

    def _build(self, raw: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
        def pick(names: tuple[str, ...]) -> dict[str, Any]:
            return {name: values[name] for name in names if name in values}

        passage = pick(cols.PASSAGE)
        digcomp = pick(cols.DIGCOMP)
        if digcomp:
            passage["niveauNumeriqueEuropeen"] = digcomp
        modalites = pick(cols.MODALITES)
        if modalites:
            passage["modalitesInscription"] = modalites
        branch = self._branch(raw)
        if branch == "titulaire":
            identity = pick(cols.TITULAIRE)
        elif branch == "dossierFormation":
            identity = pick(cols.DOSSIER)
        else:
            identity = pick(("nir", "nomNaissance"))
        passage["identificationTitulaire"] = {branch: identity}
        return {
            "declaration": pick(cols.DECLARATION),
            "certification": pick(cols.CERTIFICATION),
            "passage": passage,
        }

    def _model_errors(
        self, number: int, exc: ValidationError, raw: Mapping[str, str], failed: set[str]
    ) -> list[RowError]:
        found: list[RowError] = []
        for detail in exc.errors(include_url=False):
            field = _leaf(detail)
            if field in failed:
                continue
            failed.add(field)
            column = _column_of(field, raw)
            value = raw.get(column, "")
            found.append(self._error(number, field, value, self._message(detail, field, column)))
        return found

    def _message(self, detail: ErrorDetails, field: str, column: str) -> str:
        kind = detail["type"]
        message = detail["msg"]
        if kind == "missing":
            if field in _DECLARANT_KEYS:
                return (
                    f"required: the cell is empty and there is no default; set "
                    f"{_DECLARANT_KEYS[field]} in the [declarant] section of the config"
                )
            if field not in self._present and column not in self._present:
                also = " (or dateNaissance)" if field in _BIRTH else ""
                return f"required, but the file has no {field}{also} column"
            if field == "idTechnique":
                return (
                    "required: fill it, or remove the idTechnique column to let accrochage "
                    "derive stable ids"
                )
            return "required, but the cell is empty"
        if kind == "string_too_long":
            return f"at most {detail.get('ctx', {}).get('max_length')} characters"
        if kind == "string_too_short" and field in ("idClientEmetteur", "idClientCertificateur"):
            return "expected exactly 8 characters (the BCR)"
        items = [part for part in detail["loc"] if isinstance(part, int)]
        if field in _DIGCOMP_ITEM and items:
            return f"resultats item {items[-1] + 1}: {message}"
        return message


def _leaf(detail: ErrorDetails) -> str:
    for part in reversed(detail["loc"]):
        if isinstance(part, str):
            return part
    return "passageCertification"


def _column_of(field: str, raw: Mapping[str, str]) -> str:
    """The column whose cell holds ``field``'s value."""
    if field in _BIRTH and field not in raw:
        return "dateNaissance"
    if field in _DIGCOMP_ITEM:
        return "resultats"
    if field == "identifiantNational":
        return "nir"
    if field == "niveauNumeriqueEuropeen":
        return "scoreGeneral" if "scoreGeneral" in raw else "resultats"
    return field
