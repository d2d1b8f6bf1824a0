"""The jury outcome of a row (column ``admis``), and spotting an outcome column left unmapped.

Only admitted candidates may be declared. ``parse_outcome`` reads the outcome values
certifiers write (``OUTCOMES``): admitted -> True, not admitted -> False (the row is skipped),
anything else is a row error that lists the accepted values. Values are compared without
regard to case, accents, spaces and punctuation (``Admis(e)`` = ``ADMISE`` = ``admis e``).

``outcome_column`` looks, in a file with no ``admis`` column, for a column that holds outcomes
all the same (by its header, or by its values): such a file must not be declared in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from builders.exports.folding import header_key
from builders.exports.normalize import CellError

_ADMITTED: Final = (
    "Admis",
    "Admis(e)",
    "Admise",
    "Reçu",
    "Reçu(e)",
    "Reçue",
    "Validé",
    "Validé(e)",
    "Validée",
    "Obtenu",
    "Obtenue",
    "Acquis",
    "Oui",
    "O",
    "X",
    "1",
    "true",
    "Vrai",
    "Yes",
)
_NOT_ADMITTED: Final = (
    "Ajourné",
    "Ajourné(e)",
    "Ajournée",
    "Non admis",
    "Non admis(e)",
    "Non admise",
    "Refusé",
    "Refusé(e)",
    "Refusée",
    "Éliminé",
    "Éliminé(e)",
    "Éliminée",
    "Absent",
    "Absent(e)",
    "Absente",
    "Échec",
    "Non validé",
    "Non obtenu",
    "Non",
    "N",
    "0",
    "false",
    "Faux",
    "No",
)
#: Outcome value key -> admitted (see ``header_key`` for how values are compared).
OUTCOMES: Final[Mapping[str, bool]] = {
    **{header_key(value): False for value in _NOT_ADMITTED},
    **{header_key(value): True for value in _ADMITTED},
}
#: Values that say "jury outcome" on their own (oui/non, 1/0, X could be anything).
_TELLING: Final = frozenset(
    key for key in OUTCOMES if len(key) > 3 and key not in {"true", "false", "vrai", "faux"}
)
#: Header keys that name an outcome column.
_OUTCOME_NAMES: Final = frozenset(
    header_key(name)
    for name in (
        "Statut",
        "Etat",
        "Résultats",
        "Résultat jury",
        "Résultat de l'examen",
        "Résultat examen",
        "Décision jury",
        "Jury",
        "Admis",
        "Admis ?",
        "Reçu",
        "Obtenu",
        "Obtention",
        "Certifié",
        "Validation",
        "Outcome",
        "Result",
        "Status",
    )
)
EXPECTED: Final = (
    "expected an outcome: Admis, Admis(e), Reçu(e), Oui, O, X, 1, true (admitted) or "
    "Ajourné(e), Non, Absent(e), Refusé(e), Éliminé(e), 0, false (not admitted)"
)


def parse_outcome(raw: str) -> bool:
    """A jury outcome: True when admitted, False when not.

    Raises:
        CellError: not a known outcome; the message lists the accepted values.
    """
    value = OUTCOMES.get(header_key(raw))
    if value is None:
        raise CellError(EXPECTED)
    return value


def outcome_column(headers: Sequence[str], samples: Iterable[Sequence[str]]) -> str | None:
    """The first of ``headers`` that looks like a jury outcome column, or None.

    A column looks like one when its header names an outcome (``Statut``, ``Résultats``...)
    and its sampled values are outcomes, or when every sampled value is an outcome and at
    least one says so on its own (``Ajourné``, ``Admis``, not just ``Oui``).

    Args:
        headers: the candidate headers (the columns the file does not use).
        samples: the same columns' cells in the first data rows.
    """
    values: list[set[str]] = [set() for _ in headers]
    for cells in samples:
        for found, cell in zip(values, cells, strict=False):
            if key := header_key(cell):
                found.add(key)
    for header, found in zip(headers, values, strict=True):
        outcomes = found <= OUTCOMES.keys()
        if header_key(header) in _OUTCOME_NAMES and outcomes:
            return header
        if found and outcomes and not found.isdisjoint(_TELLING):
            return header
    return None
