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
- ``idTechnique``: when the column is absent, it is derived (``builders.cdc.idtech``). When the
  column is present, an empty cell is an error: deriving an id for one row of an export that
  otherwise carries its own ids could declare the same certificate twice.
- ``admis`` false skips the row (counted, not an error); an empty ``admis`` cell is an error,
  since declaring a candidate who was not admitted must not happen by default.
- The same idTechnique twice for one emitter in one file: the second row is rejected.
- An empty ``type`` is inferred from a ``code`` reading ``RNCP`` or ``RS`` + digits.
- When the file has no ``presenceNiveauLangueEuro`` (``presenceNiveauNumeriqueEuro``) column,
  the flag is true exactly when the row gives ``niveauLangueEuropeen`` (``scoreGeneral`` or
  ``resultats``): most certifications carry no language or digital level, and the dictionary
  ties each flag to its level. With the column present, an empty cell is an error.
- An empty declarant cell takes its ``[declarant]`` default; a bad default is reported under
  the field, with a message naming the config key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from builders.cdc import fields, idtech, rules
from builders.cdc.models import (
    XML_CHARS_CHECKED,
    Certification,
    Declaration,
    ModalitesInscription,
    PassageRecord,
)
from builders.cdc.versions import SchemaVersion, spec
from builders.exports import codes, csvsafe, plausibility
from builders.exports import columns as cols
from builders.exports.cog import Communes
from builders.exports.holders import HolderIndex, duplicate_message, holder_key
from builders.exports.normalize import CellError
from builders.exports.results import DECLARANT_KEYS, RowError, RowResult, bad_row, model_errors
from builders.exports.rowshape import FORMULA_CELL, whole_row_problem
from builders.exports.sheet import FORMULA_MARK, formula_of
from builders.settings import Declarant

_TITULAIRE_OWN: Final = frozenset(cols.TITULAIRE) - {"nomNaissance"} | {"dateNaissance"}
_BIRTH: Final = ("anneeNaissance", "moisNaissance", "jourNaissance")
_DOSSIER_CELLS: Final = frozenset(cols.DOSSIER)
#: Per branch: cells all required, cells of which one is required, cells that touch it.
_BRANCH_CELLS: Final = {
    "identifiantNational": (frozenset({"nir", "nomNaissance"}), frozenset({"nir"}), {"nir"}),
    "dossierFormation": (_DOSSIER_CELLS, _DOSSIER_CELLS, _DOSSIER_CELLS),
    "titulaire": (
        frozenset({"nomNaissance", "prenom1", "sexe"}),
        frozenset({"anneeNaissance", "dateNaissance"}),
        _TITULAIRE_OWN,
    ),
}
#: Fields the row mapper may fill in without a cell of their own.
_FILLED: Final = frozenset(
    {
        *cols.DECLARATION,
        "natureDeposant",
        "type",
        "idTechnique",
        *_BIRTH,
        "codePaysNaissance",
        "presenceNiveauLangueEuro",
        "presenceNiveauNumeriqueEuro",
    }
)
_BLOCKS: Final = {
    "declaration": cols.DECLARATION,
    "certification": cols.CERTIFICATION,
    "passage": cols.PASSAGE,
    "digcomp": cols.DIGCOMP,
    "modalites": cols.MODALITES,
    "titulaire": cols.TITULAIRE,
    "dossierFormation": cols.DOSSIER,
    "identifiantNational": fields.names("identifiantNational"),
}
_CODE_TYPE: Final = re.compile(r"(RNCP|RS)[0-9]+$")
_OTHER_BRANCHES: Final = _DOSSIER_CELLS | {"nir"}
_DIGCOMP_CELLS: Final = frozenset(cols.DIGCOMP)
_PARIS: Final = ZoneInfo("Europe/Paris")
#: Distinct cell texts remembered per converted column (dates, labels repeat a lot; an export
#: of 150,000 holders born over 50 years holds about 18,000 birth dates).
_CACHE_SIZE: Final = 32768
#: Distinct declarant, certification and inscription terms remembered (``_shared``).
_SHARED_SIZE: Final = 4096
#: Columns whose cells differ on every row: their conversions are not remembered.
_UNIQUE: Final = frozenset({"idTechnique", "idDossier", "nir"})


@dataclass(frozen=True)
class Mapped:
    """One row as :meth:`RowMapper.map_unchecked` maps it, before the checks across rows.

    Attributes:
        result: the row's result on its own.
        seen: (idClientEmetteur, idTechnique) of a row whose record validated (the key an
            earlier row must not have used); None for the others.
        id_cell: the row's trimmed idTechnique cell ("" when the file has no such column).
        code_cell, delivery: for a row whose record validated, its trimmed ``code`` cell and
            its dateDebutValidite, which its result says should a check reject it.

    Small on purpose: a pool process sends one for every row of an import.
    """

    result: RowResult
    seen: tuple[str, str] | None = None
    id_cell: str = ""
    code_cell: str = ""
    delivery: dt.date | None = None


class RowChecks:
    """The checks of a row against the earlier rows of its file, in file order.

    A row whose record validated is rejected when an earlier one had its idTechnique (for its
    emitter); a valid row, when an earlier valid row declares the same holder and
    certification under another idTechnique (``builders.exports.holders``).
    """

    def __init__(self, source: str, *, derived_ids: bool) -> None:
        """Checks for the rows of ``source``; ``derived_ids``: its ids are derived."""
        self.source = source
        self._derived = derived_ids
        self._seen = idtech.SeenIds()
        self._holders = HolderIndex()

    def apply(self, mapped: Mapped) -> RowResult:
        """The row's final result (the next row of the file)."""
        result = mapped.result
        if mapped.seen is not None and not self._seen.add(*mapped.seen):
            why = (
                "the same certificate (code, holder, dateDebutValidite) is on an earlier row"
                if self._derived
                else "an earlier row of this file has the same idTechnique"
            )
            return _rejected(mapped, mapped.id_cell, why)
        if result.skipped or result.errors or result.id_technique is None:
            return result
        earlier = self._holders.add(
            result.holder_key or 0, result.id_technique, self.source, result.row
        )
        if earlier is None:
            return result
        return _rejected(mapped, result.id_technique, duplicate_message(*earlier, self.source))


def _rejected(mapped: Mapped, value: str, message: str) -> RowResult:
    """``mapped``'s row (its record validated) rejected by a check: a bad row with that error
    on idTechnique, as ``bad_row`` gives it (no idTechnique: the error is on it)."""
    result, seen = mapped.result, mapped.seen
    if seen is None:  # pragma: no cover - only rows whose record validated are checked
        raise ValueError("a row rejected by a check must be one whose record validated")
    error = RowError(result.source, result.row, "idTechnique", value, message)
    return RowResult(
        result.source,
        result.row,
        None,
        (error,),
        skipped=False,
        emitter=seen[0],
        certification_code=mapped.code_cell or None,
        delivery_date=mapped.delivery,
    )


def derives_ids(columns: Mapping[str, str]) -> bool:
    """Whether rows mapped with ``columns`` have their idTechnique derived (no such column)."""
    return "idTechnique" not in columns


def paris_today() -> dt.date:
    """Today in France, the day the CDC's deadlines are counted in."""
    return dt.datetime.now(_PARIS).date()


class RowMapper:
    """Turns the rows of one file into records; holds what is computed once per file."""

    def __init__(
        self,
        *,
        source: str,
        headers: Sequence[str],
        columns: Mapping[str, str],
        declarant: Declarant,
        schema_version: SchemaVersion,
        check_reuse: bool = True,
        today: dt.date | None = None,
        communes: Communes | None = None,
    ) -> None:
        """Prepare the mapping of one file.

        Args:
            source: the file name, for errors.
            headers: the header row, in file order.
            columns: canonical column -> header in the file (``columns.resolve_headers``).
            declarant: defaults for the declarant columns.
            schema_version: the schema the records target.
            check_reuse: reject a row whose idTechnique an earlier row of the file used, or
                whose holder and certification an earlier row declares under another
                idTechnique (False when the caller checks that itself, across processes).
            today: the day plausibility is judged on (default: today in Europe/Paris).
            communes: INSEE's geographic code, when imported (``builders.exports.cog``).
        """
        self.source = source
        position = {header: index for index, header in reversed(list(enumerate(headers)))}
        self._index = {name: position[header] for name, header in columns.items()}
        self._text = tuple(
            (name, index) for name, index in self._index.items() if name not in cols.CONVERTERS
        )
        self._converted: tuple[tuple[str, int, cols.Converter, dict[str, Any], int], ...] = tuple(
            (name, index, cols.CONVERTERS[name], {}, 0 if name in _UNIQUE else _CACHE_SIZE)
            for name, index in self._index.items()
            if name in cols.CONVERTERS
        )
        self._width = len(headers)
        self._derive_id = derives_ids(columns)
        self._infer_language = "presenceNiveauLangueEuro" not in columns
        self._infer_digital = "presenceNiveauNumeriqueEuro" not in columns
        self._defaults = {
            name: getattr(declarant, key)
            for name, key in DECLARANT_KEYS.items()
            if getattr(declarant, key) is not None
        }
        self._order = spec(schema_version).branch_order
        # Per block, only the names a row of this file can hold (its columns, and the values
        # _complete may fill in): building the nested input is then a few short loops.
        possible = self._index.keys() | _FILLED
        self._blocks = {
            block: tuple(name for name in names if name in possible)
            for block, names in _BLOCKS.items()
        }
        self._cache: dict[type[BaseModel], dict[tuple[tuple[str, Any], ...], BaseModel]] = {
            Declaration: {},
            Certification: {},
            ModalitesInscription: {},
        }
        # Exports without NIR or dossier columns always declare a titulaire.
        self._only_branch = "titulaire" if _OTHER_BRANCHES.isdisjoint(self._index) else None
        self._context = {rules.SCHEMA_VERSION_KEY: schema_version, XML_CHARS_CHECKED: True}
        self._checks = RowChecks(source, derived_ids=self._derive_id) if check_reuse else None
        self._today = today or paris_today()
        self._communes = communes
        self._birth_field = "dateNaissance" if "dateNaissance" in self._index else "anneeNaissance"

    def _padded(
        self, number: int, cells: Sequence[str], errors: list[RowError], failed: set[str]
    ) -> tuple[Sequence[str], str]:
        """``cells`` padded to the header's width, with the cells the agent's own CSVs
        neutralised (``builders.exports.csvsafe``) restored and formulas without a stored
        value reported (``_formulas``); and the row's text joined."""
        if len(cells) < self._width:
            cells = [*cells, *[""] * (self._width - len(cells))]
        joined = "".join(cells)
        if "'" in joined:  # rare: only then look for cells the agent neutralised
            cells = [csvsafe.restore(cell) for cell in cells]
            joined = "".join(cells)
        if FORMULA_MARK in joined:  # rare: a formula without a stored value (XLSX)
            return self._formulas(number, cells, errors, failed)
        return cells, joined

    def map_row(self, number: int, cells: Sequence[str]) -> RowResult:
        """Validate one row (and, with ``check_reuse``, check it against the earlier rows).

        Args:
            number: the spreadsheet row number.
            cells: the cells in header order (``builders.exports.sheet.Sheet.rows``).

        Returns:
            The row's result: a record, or every error found, or skipped.
        """
        if self._checks is None:
            return self._map(number, cells, checkable=False).result
        return self._checks.apply(self._map(number, cells, checkable=True))

    def map_unchecked(self, number: int, cells: Sequence[str]) -> Mapped:
        """Validate one row on its own, with what :class:`RowChecks` needs to check it
        against the earlier rows of its file (in another process than this one, maybe)."""
        return self._map(number, cells, checkable=True)

    def _map(self, number: int, cells: Sequence[str], *, checkable: bool) -> Mapped:
        """``map_row`` without the checks across rows; ``checkable``: with what they need."""
        errors: list[RowError] = []
        failed: set[str] = set()
        cells, joined = self._padded(number, cells, errors, failed)
        if "row" in failed:  # not a candidate at all (``_formulas``)
            return Mapped(self._bad(number, cells, {}, errors))
        values: dict[str, Any] = {
            name: cell for name, index in self._text if (cell := cells[index].strip())
        }
        for name, index, convert, cache, limit in self._converted:
            cell = cells[index]
            if not cell:
                continue
            value = cache.get(cell)
            if value is None:
                if not (stripped := cell.strip()):
                    continue
                try:
                    value = convert(stripped)
                except CellError as exc:
                    errors.append(self._error(number, name, stripped, str(exc)))
                    failed.add(name)
                    continue
                if len(cache) < limit:
                    cache[cell] = value
            values[name] = value
        # One regex over the whole row; cells are looked at one by one only when it fires.
        if rules.bad_xml_char(joined) is not None:
            self._xml_errors(number, cells, values, errors, failed)
        if values.get("admis") is False:
            return Mapped(RowResult(self.source, number, None, (), skipped=True))
        if "admis" in self._index and "admis" not in values and "admis" not in failed:
            errors.append(self._error(number, "admis", "", "empty: write oui (admitted) or non"))
        present = values.keys() | failed
        self._complete(number, cells, values, errors, present)
        failed.update(error.field for error in errors)
        if "code" in failed and "type" not in present:
            failed.add("type")  # the bare code is the problem, not the absent type
        if "dateNaissance" in failed:  # its parts are missing because it was reported
            failed.update(name for name in _BIRTH if name not in present)
        try:
            record = PassageRecord.model_validate(
                self._build(present, values), context=self._context
            )
        except ValidationError as exc:
            errors.extend(
                model_errors(
                    exc,
                    source=self.source,
                    row=number,
                    cell=lambda name: self._raw(cells, name),
                    columns=self._index.keys(),
                    present=present,
                    failed=failed,
                )
            )
            return Mapped(self._bad(number, cells, values, errors))
        if errors:
            return Mapped(self._bad(number, cells, values, errors))
        result = self._plausible(number, cells, values, record)
        if not checkable:
            return Mapped(result)
        # What the checks across rows need: the record's key, and what this row's result
        # says should they reject it (``_rejected``). Not ``_bad``'s result: the row is a
        # candidate (its record validated), so it is not asked whether it is a totals row (a
        # holder named Somme in a sparse export is not one).
        return Mapped(
            result,
            (record.declaration.idClientEmetteur, record.passage.idTechnique),
            self._raw(cells, "idTechnique"),
            self._raw(cells, "code"),
            record.passage.dateDebutValidite,
        )

    def _plausible(
        self, number: int, cells: Sequence[str], values: Mapping[str, Any], record: PassageRecord
    ) -> RowResult:
        """A valid record's result once plausibility has run."""
        errors: list[RowError] = []
        warnings: list[RowError] = []
        found = plausibility.findings(
            record, self._today, birth_field=self._birth_field, communes=self._communes
        )
        for finding in found:
            error = self._error(
                number, finding.field, self._raw(cells, finding.field), finding.message
            )
            (warnings if finding.warning else errors).append(error)
        if errors:
            return self._bad(number, cells, values, errors)
        key = holder_key(record)
        return RowResult(
            self.source,
            number,
            record,
            (),
            skipped=False,
            id_technique=record.passage.idTechnique,
            emitter=record.declaration.idClientEmetteur,
            certification_code=record.certification.code,
            delivery_date=record.passage.dateDebutValidite,
            warnings=tuple(warnings),
            holder_key=key,
        )

    def _bad(
        self,
        number: int,
        cells: Sequence[str],
        values: Mapping[str, Any],
        errors: Sequence[RowError],
    ) -> RowResult:
        """A bad row's result, with what can still be known of it (see ``RowResult``).

        A row that is no candidate at all (a totals row, a formula without its value) gets
        one message saying so instead of its field errors (``builders.exports.rowshape``).
        """
        shape = whole_row_problem(cells)
        if shape is not None:
            errors = [self._error(number, "row", *shape)]
        return bad_row(
            self.source,
            number,
            errors,
            values,
            id_cell=None if self._derive_id else self._raw(cells, "idTechnique"),
            code_cell=self._raw(cells, "code"),
        )

    def _formulas(
        self, number: int, cells: Sequence[str], errors: list[RowError], failed: set[str]
    ) -> tuple[list[str], str]:
        """An error for each used cell holding a formula without a stored value (one error on
        ``row`` when the row as a whole is no candidate); the cells with those read as empty,
        and the row's text joined again."""
        shape = whole_row_problem(cells)
        if shape is not None:
            errors.append(self._error(number, "row", *shape))
            failed.add("row")
        for name, index in self._index.items() if shape is None else ():
            formula = formula_of(cells[index])
            if formula is not None:
                errors.append(self._error(number, name, formula, FORMULA_CELL))
                failed.add(name)
        cleaned = ["" if formula_of(cell) is not None else cell for cell in cells]
        return cleaned, "".join(cleaned)

    def _raw(self, cells: Sequence[str], name: str) -> str:
        index = self._index.get(name)
        if index is None:
            return ""
        cell = cells[index]
        return formula_of(cell) or cell.strip()

    def _error(self, number: int, field: str, value: str, message: str) -> RowError:
        return RowError(self.source, number, field, value, message)

    def _xml_errors(
        self,
        number: int,
        cells: Sequence[str],
        values: dict[str, Any],
        errors: list[RowError],
        failed: set[str],
    ) -> None:
        for name in self._index:
            cell = self._raw(cells, name)
            bad = rules.bad_xml_char(cell)
            if bad is not None and name not in failed:
                errors.append(self._error(number, name, cell, bad))
                failed.add(name)
                values.pop(name, None)

    def _complete(
        self,
        number: int,
        cells: Sequence[str],
        values: dict[str, Any],
        errors: list[RowError],
        present: AbstractSet[str],
    ) -> None:
        """Fill what the row implies: birth date parts, country code, defaults, idTechnique."""
        birth = values.get("dateNaissance")
        if birth is not None:
            for name, part in zip(_BIRTH, birth, strict=True):
                if part is None:
                    continue  # a partial dateNaissance leaves that part to its own column
                if name not in values:
                    values[name] = part
                elif values[name] != part:
                    message = f"disagrees with {name} {values[name]}"
                    value = self._raw(cells, "dateNaissance")
                    errors.append(self._error(number, "dateNaissance", value, message))
        insee = values.get("codeInsee")
        if isinstance(insee, str) and insee[:2] == "99" and "codePaysNaissance" not in present:
            values["codePaysNaissance"] = insee[2:]
        for name, default in self._defaults.items():
            if name not in present:
                values[name] = default
        if "type" not in present:
            prefix = _CODE_TYPE.match(str(values.get("code", "")))
            if prefix is not None:
                values["type"] = prefix.group(1)
        self._prefix_code(number, cells, values, errors, present)
        if self._infer_language:
            values["presenceNiveauLangueEuro"] = "niveauLangueEuropeen" in present
        if self._infer_digital:
            values["presenceNiveauNumeriqueEuro"] = not _DIGCOMP_CELLS.isdisjoint(present)
        if self._derive_id:
            values["idTechnique"] = idtech.derive_id_technique(values)

    def _prefix_code(
        self,
        number: int,
        cells: Sequence[str],
        values: dict[str, Any],
        errors: list[RowError],
        present: AbstractSet[str],
    ) -> None:
        """A bare-digit code gets the prefix its type gives, else an error on ``code``."""
        code = values.get("code")
        if not (isinstance(code, str) and code.isdigit()):
            return
        if "type" in present and "type" not in values:
            return  # the type cell could not be read: it is reported
        fixed = codes.prefix_code(values.get("type"), code)
        if fixed is None:
            message = codes.BARE_CODE_MESSAGE.format(code=code)
            errors.append(self._error(number, "code", self._raw(cells, "code"), message))
        else:
            values["code"] = fixed

    def _branch(self, present: AbstractSet[str]) -> str:
        """The identification branch to declare (see the module docstring)."""
        for branch in self._order:
            needs, one_of, _ = _BRANCH_CELLS[branch]
            if needs <= present and not one_of.isdisjoint(present):
                return branch
        for branch in self._order:
            if not _BRANCH_CELLS[branch][2].isdisjoint(present):
                return branch
        return "titulaire"

    def _build(self, present: AbstractSet[str], values: Mapping[str, Any]) -> dict[str, Any]:
        """The nested input of ``PassageRecord`` from the row's flat values."""
        blocks = self._blocks
        passage = {name: values[name] for name in blocks["passage"] if name in values}
        digcomp = {name: values[name] for name in blocks["digcomp"] if name in values}
        if digcomp:
            passage["niveauNumeriqueEuropeen"] = digcomp
        modalites = {name: values[name] for name in blocks["modalites"] if name in values}
        if modalites:
            passage["modalitesInscription"] = self._shared(ModalitesInscription, modalites)
        branch = self._only_branch or self._branch(present)
        passage["identificationTitulaire"] = {
            branch: {name: values[name] for name in blocks[branch] if name in values}
        }
        declaration = {name: values[name] for name in blocks["declaration"] if name in values}
        certification = {name: values[name] for name in blocks["certification"] if name in values}
        return {
            "declaration": self._shared(Declaration, declaration),
            "certification": self._shared(Certification, certification),
            "passage": passage,
        }

    def _shared(self, model: type[BaseModel], data: dict[str, Any]) -> object:
        """A validated sub-model shared by the rows that repeat ``data``, else ``data`` itself.

        An export repeats its declarant, certification and inscription terms on every row:
        validating them once per distinct value saves time, and records share the instances.
        Invalid data is returned as is, so the record's validation reports it at its place.
        """
        cache = self._cache[model]
        key = tuple(data.items())
        found = cache.get(key)
        if found is None:
            try:
                found = model.model_validate(data)
            except ValidationError:
                return data
            if len(cache) < _SHARED_SIZE:
                cache[key] = found
        return found
