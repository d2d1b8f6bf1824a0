"""Matching an export's headers to canonical columns: CDC names, French labels, the config.

A header is compared by its *key* (``header_key``): lower case, accents removed, everything but
letters and digits dropped, so ``Date de\\nnaissance``, ``DATE DE NAISSANCE`` and
``date_de_naissance`` are one key. A header gives a column, in this order of precedence:

1. a ``[build.columns]`` entry (``"Statut jury" = "admis"``), matched by key too;
2. a canonical (CDC) name (``nomNaissance``);
3. one of the French labels certifiers use (``LABELS``: ``Nom de naissance``, ``Prénom``...).

What the match leaves over is reported, never fatal, as :class:`Notice` warnings: a header
repeated on a column that is not used, a header that nearly matches a column ("did you mean
nomNaissance?"), columns ignored, a ``[build.columns]`` entry that matches no header, a label
that gives a column another header already gives. A repeated header that *is* used, or two
config/CDC headers for one column, is an error: which cell to declare would be a guess.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from builders.errors import BuildError
from builders.exports.columns import CANONICAL
from builders.exports.folding import header_key

#: French labels per canonical column, as certifiers' exports write them (matched by key).
#: When two headers of a file give one column by a label, the label listed first wins.
LABELS: Final[Mapping[str, tuple[str, ...]]] = {
    "idTechnique": (
        "N° candidat",
        "Numéro de candidat",
        "Numéro candidat",
        "Identifiant",
        "Identifiant candidat",
        "ID candidat",
        "Identifiant technique",
    ),
    "nomNaissance": (
        "Nom de naissance",
        "Nom naissance",
        "Nom de famille",
        "Nom patronymique",
        "Nom",
    ),
    "nomUsage": ("Nom d'usage", "Nom usuel", "Nom marital", "Nom d'épouse"),
    "prenom1": ("Prénom", "Prénom 1", "Premier prénom"),
    "prenom2": ("Prénom 2", "Deuxième prénom", "Second prénom"),
    "prenom3": ("Prénom 3", "Troisième prénom"),
    "dateNaissance": ("Date de naissance", "Date naissance", "Né(e) le", "Né le"),
    "anneeNaissance": ("Année de naissance",),
    "moisNaissance": ("Mois de naissance",),
    "jourNaissance": ("Jour de naissance",),
    "sexe": ("Sexe", "Civilité", "Genre"),
    "codeInsee": (
        "Code INSEE",
        "Code INSEE (commune de naissance)",
        "Code INSEE de naissance",
        "Code INSEE naissance",
        "Code INSEE commune de naissance",
        "Code commune de naissance",
    ),
    "codePostal": ("Code postal de naissance", "Code postal naissance", "CP de naissance"),
    "libelleCommuneNaissance": ("Commune de naissance", "Ville de naissance", "Lieu de naissance"),
    "codePaysNaissance": ("Code pays de naissance", "Code pays naissance"),
    "libellePaysNaissance": ("Pays de naissance", "Pays naissance"),
    "type": ("Type de certification", "Type certification"),
    "code": (
        "Code RNCP",
        "Code RS",
        "Code RNCP/RS",
        "Code de la certification",
        "Code certification",
        "N° RNCP",
        "Numéro RNCP",
        "Code France compétences",
    ),
    "dateDebutValidite": (
        "Date d'obtention",
        "Date de délivrance",
        "Date d'obtention de la certification",
        "Date de certification",
        "Date de début de validité",
    ),
    "dateFinValidite": ("Date de fin de validité", "Date d'expiration", "Valable jusqu'au"),
    "dateDebutExamen": (
        "Date de début d'examen",
        "Date début examen",
        "Date de début de l'examen",
    ),
    "dateFinExamen": ("Date de fin d'examen", "Date fin examen", "Date de fin de l'examen"),
    "modalitePassageExamen": ("Modalité de passage", "Modalité d'examen", "Modalité de l'examen"),
    "codePostalCentreExamen": (
        "Code postal du centre d'examen",
        "Code postal centre d'examen",
        "CP centre d'examen",
    ),
    "obtentionCertification": ("Mode d'obtention", "Modalité d'obtention"),
    "donneeCertifiee": ("Donnée certifiée",),
    "libelleOption": ("Option", "Libellé de l'option"),
    "mentionValidee": ("Mention", "Mention obtenue"),
    "niveauLangueEuropeen": ("Niveau CECRL", "Niveau de langue"),
    "modaliteAcces": ("Voie d'accès", "Modalité d'accès", "Voie d'accès à la certification"),
    "voieAccessVAE": ("Voie d'accès VAE", "Type de VAE"),
    "initiativeInscription": ("Initiative de l'inscription", "Inscription à l'initiative de"),
    "dateInscription": ("Date d'inscription",),
    "idDossier": ("N° de dossier", "Numéro de dossier", "Numéro de dossier CPF"),
    "nir": ("NIR", "N° de sécurité sociale", "Numéro de sécurité sociale"),
    "urlPreuve": ("URL de la preuve", "Lien vers la preuve"),
    "idContrat": ("N° de contrat", "Numéro de contrat"),
    "admis": (
        "Décision du jury",
        "Décision",
        "Admis(e)",
        "Reçu(e)",
        "Admission",
        "Résultat final",
        "Résultat",
    ),
}


_CANONICAL: Final = {header_key(name): name for name in CANONICAL}
_LABELS: Final = {header_key(label): name for name, labels in LABELS.items() for label in labels}
#: Each label's place in its column's list (lower: more specific).
_RANK: Final = {
    header_key(label): rank for labels in LABELS.values() for rank, label in enumerate(labels)
}
#: Every key some column answers to, for "did you mean".
_KNOWN: Final = {**_LABELS, **_CANONICAL}
_NEAR: Final = 0.8


@dataclass(frozen=True)
class Notice:
    """A warning about a file: where (row, column) and what. Row 0: the file as a whole."""

    source: str
    row: int
    field: str
    value: str
    message: str


@dataclass
class Match:
    """How a header row maps to canonical columns.

    Attributes:
        columns: canonical column -> header as it appears in the file.
        notices: warnings (row ``header_row``).
        unknown: the non-blank headers that give no column.
    """

    columns: dict[str, str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def mapping_keys(mapping: Mapping[str, str], source: str) -> dict[str, str]:
    """``[build.columns]`` as header key -> canonical column.

    Raises:
        BuildError: an entry targets an unknown column.
    """
    renames: dict[str, str] = {}
    for header, target in mapping.items():
        column = _CANONICAL.get(header_key(target))
        if column is None:
            hint = suggest(target)
            raise BuildError(
                f"{source}: [build.columns] maps {header!r} to {target!r}, which is not a "
                f"known column{hint} (see `accrochage template`)"
            )
        renames[header_key(header)] = column
    return renames


def column_of(header: str, renames: Mapping[str, str]) -> str | None:
    """The column ``header`` gives (config first, then CDC names, then labels), or None."""
    key = header_key(header)
    if not key:
        return None
    return renames.get(key) or _CANONICAL.get(key) or _LABELS.get(key)


def suggest(header: str) -> str:
    """``" (did you mean nomNaissance?)"`` for a header close to a column's name, else ``""``."""
    key = header_key(header)
    if len(key) < 4:
        return ""
    close = difflib.get_close_matches(key, _KNOWN, n=1, cutoff=_NEAR)
    return f" (did you mean {_KNOWN[close[0]]}?)" if close else ""


def match_headers(
    headers: Sequence[str], mapping: Mapping[str, str], source: str, row: int
) -> Match:
    """Map a header row to canonical columns (see the module docstring).

    Args:
        headers: the header row as read.
        mapping: ``[build.columns]``: header -> canonical name.
        source: the file name, for messages.
        row: the header's row number, for notices.

    Raises:
        BuildError: the mapping targets an unknown column, a used header is repeated, or two
            headers named by the config or by their CDC name give the same column.
    """
    renames = mapping_keys(mapping, source)
    match = Match()
    by_key: dict[str, str] = {}
    strong: set[str] = set()  # columns given by the config or a CDC name
    repeated: list[str] = []
    for header in headers:
        key = header_key(header)
        if not key:
            continue
        if key in by_key:
            repeated.append(header)
            continue
        by_key[key] = header
        column = column_of(header, renames)
        if column is None:
            match.unknown.append(header)
            continue
        is_strong = key in renames or key in _CANONICAL
        taken = match.columns.get(column)
        if taken is not None and is_strong and column in strong:
            raise BuildError(
                f"{source}: headers {taken!r} and {header!r} both give column {column}"
            )
        if taken is not None and not is_strong and (column in strong or not _before(key, taken)):
            match.notices.append(
                _notice(source, row, column, header, f"ignored: {taken!r} already gives {column}")
            )
            continue
        if taken is not None:
            match.notices.append(
                _notice(source, row, column, taken, f"ignored: {header!r} gives {column}")
            )
        match.columns[column] = header
        if is_strong:
            strong.add(column)
    _check_repeats(match, repeated, source, row)
    _report_unused_mapping(match, mapping, by_key, source, row)
    return match


def _before(key: str, taken: str) -> bool:
    """Whether label ``key`` is more specific than the label of header ``taken``."""
    return _RANK.get(key, 0) < _RANK.get(header_key(taken), 0)


def _check_repeats(match: Match, repeated: Sequence[str], source: str, row: int) -> None:
    used = {header_key(header) for header in match.columns.values()}
    for header in repeated:
        if header_key(header) in used:
            raise BuildError(f"{source}: the header {header.strip()!r} appears twice")
        match.notices.append(
            _notice(source, row, "", header, "this header appears twice; the column is not used")
        )


def _report_unused_mapping(
    match: Match, mapping: Mapping[str, str], by_key: Mapping[str, str], source: str, row: int
) -> None:
    for header, target in mapping.items():
        if header_key(header) not in by_key:
            message = f"[build.columns] {header!r} = {target!r} matches no header of the file"
            match.notices.append(_notice(source, row, target, header, message))


def ignored_notice(
    match: Match, source: str, row: int, expected: frozenset[str] = frozenset()
) -> Notice | None:
    """One notice listing the headers that give no column (with "did you mean" hints), except
    the ``expected`` ones (the report-only columns of the tool's own rejects CSV)."""
    unknown = [header for header in match.unknown if header.strip() not in expected]
    if not unknown:
        return None
    listed = ", ".join(f"{header.strip()!r}{suggest(header)}" for header in unknown)
    message = f"columns ignored (not CDC names, known labels or in [build.columns]): {listed}"
    return _notice(source, row, "", "", message)


def _notice(source: str, row: int, column: str, header: str, message: str) -> Notice:
    return Notice(source, row, column, header.strip(), message)


def score(cells: Sequence[str], renames: Mapping[str, str]) -> int:
    """How many distinct columns a candidate header row gives."""
    return len({column for cell in cells if (column := column_of(cell, renames)) is not None})
