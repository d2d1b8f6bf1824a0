"""Cell values as certifiers write them, turned into the values the models expect.

Every converter takes a non-empty, trimmed cell and returns a Python value, or raises
:class:`CellError` with a plain-English message of what was expected. Empty cells never reach a
converter: the row mapper treats them as unknown (see ``builders.exports.rows``).

Accepted forms:
- dates: see ``builders.exports.dates`` (day-first text in several spellings, ISO with or
  without a time, Excel serial numbers); codes (INSEE, postal, certification): see
  ``builders.exports.codes``; names: see ``builders.exports.names``;
- booleans: true/false, oui/non, vrai/faux, yes/no, 1/0, o/n (any case);
- integers: digits only (``12``; a spreadsheet's ``12.0`` is ``12``);
- enumerations: the XSD value in any case, with spaces, hyphens or apostrophes for underscores
  and accents ignored, plus the obvious French labels listed in ``ENUM_LABELS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Final

from builders.cdc import models, nir, rules
from builders.exports.cellerror import CellError
from builders.exports.codes import parse_certification_code, parse_insee, parse_postal
from builders.exports.dates import DATE_EXPECTED, parse_birth_date, parse_date

__all__ = [
    "DATE_EXPECTED",
    "CellError",
    "enum_converter",
    "fold",
    "format_resultats",
    "parse_birth_date",
    "parse_bool",
    "parse_certification_code",
    "parse_certification_type",
    "parse_date",
    "parse_insee",
    "parse_int",
    "parse_nir",
    "parse_postal",
    "parse_resultats",
    "text",
]


_INT: Final = re.compile(r"([0-9]+)(?:[.,]0+)?")
_LABEL_JUNK: Final = re.compile(r"[\s'’\-_.()/]+")


def fold(label: str) -> str:
    """Upper case, accents removed, runs of spaces/hyphens/apostrophes/dots as one ``_``."""
    decomposed = unicodedata.normalize("NFKD", label)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _LABEL_JUNK.sub("_", bare.upper()).strip("_")


_BOOLEANS: Final = {
    **dict.fromkeys(("TRUE", "VRAI", "OUI", "YES", "1", "O", "Y"), True),
    **dict.fromkeys(("FALSE", "FAUX", "NON", "NO", "0", "N"), False),
}


def parse_bool(raw: str) -> bool:
    """true/false, oui/non, vrai/faux, yes/no, 1/0 in any case."""
    value = _BOOLEANS.get(raw.upper())
    if value is None:
        raise CellError("expected true/false (or oui/non, vrai/faux, 1/0)")
    return value


def parse_int(raw: str) -> int:
    """A whole number written with digits only (a spreadsheet's ``1997.0`` is ``1997``)."""
    match = _INT.fullmatch(raw)
    if match is None:
        raise CellError("expected a whole number (digits only)")
    return int(match.group(1))


#: French (and other obvious) labels per enumeration, keys already folded (see ``fold``).
ENUM_LABELS: Final[dict[type[StrEnum], dict[str, str]]] = {
    models.Sexe: {
        # Civilités: "M." folds to "M"; "Mlle" and "Mademoiselle" are still found in old files.
        "MR": "M",
        "MONSIEUR": "M",
        "MME": "F",
        "MADAME": "F",
        "MLLE": "F",
        "MLE": "F",
        "MADEMOISELLE": "F",
        "H": "M",
        "HOMME": "M",
        "MASCULIN": "M",
        "MALE": "M",
        "FEMME": "F",
        "FEMININ": "F",
        "FEMALE": "F",
    },
    models.Mention: {
        "SANS": "SANS_MENTION",
        "AUCUNE": "SANS_MENTION",
        "ASSEZ_BIEN": "MENTION_ASSEZ_BIEN",
        "AB": "MENTION_ASSEZ_BIEN",
        "BIEN": "MENTION_BIEN",
        "B": "MENTION_BIEN",
        "TRES_BIEN": "MENTION_TRES_BIEN",
        "TB": "MENTION_TRES_BIEN",
        "TRES_BIEN_AVEC_FELICITATIONS_DU_JURY": "MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY",
        "FELICITATIONS_DU_JURY": "MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY",
        "TB_FELICITATIONS": "MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY",
    },
    models.ModalitePassageExamen: {
        "PRESENTIEL": "EN_PRESENTIEL",
        "DISTANCE": "A_DISTANCE",
        "DISTANCIEL": "A_DISTANCE",
        "EN_DISTANCIEL": "A_DISTANCE",
        "HYBRIDE": "MIXTE",
    },
    models.ObtentionCertification: {
        "ADMISSION": "PAR_ADMISSION",
        "SCORING": "PAR_SCORING",
        "SCORE": "PAR_SCORING",
        "PAR_SCORE": "PAR_SCORING",
    },
    models.ModaliteAcces: {
        "FORMATION_INITIALE": "FORMATION_INITIALE_HORS_APPRENTISSAGE",
        "APPRENTISSAGE": "FORMATION_INITIALE_APPRENTISSAGE",
        "FORMATION_CONTINUE": "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
        "CONTRAT_DE_PROFESSIONNALISATION": "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
        "CONTRAT_PRO": "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
        "VALIDATION_DES_ACQUIS_DE_L_EXPERIENCE": "VAE",
        "EQUIVALENCE": "EQUIVALENCE_DIPLOME_ETRANGER",
        "EQUIVALENCE_DIPLOME": "EQUIVALENCE_DIPLOME_ETRANGER",
        "EQUIVALENCE_DE_DIPLOME_ETRANGER": "EQUIVALENCE_DIPLOME_ETRANGER",
        "LIBRE": "CANDIDAT_LIBRE",
    },
    models.VoieAccesVAE: {
        "CONGES_VAE": "CONGES_VAE",
        "CONGE_VAE": "CONGES_VAE",
        "CONGE": "CONGES_VAE",
        "CLASSIQUE": "VAE_CLASSIQUE",
    },
    models.InitiativeInscription: {
        "CERTIFIE": "CERTIFIE",
        "CANDIDAT": "CERTIFIE",
        "TITULAIRE": "CERTIFIE",
        "ORGANISME_DE_FORMATION": "OF",
        "FRANCE_TRAVAIL": "POLE_EMPLOI",
    },
    models.NatureDeposant: {
        "TIERS_DE_CONFIANCE": "TIERS_CONFIANCE",
        "TIERS": "TIERS_CONFIANCE",
    },
    models.NiveauCECRL: {},
}


def _enum_table(enum: type[StrEnum]) -> dict[str, str]:
    table = {fold(member.value): member.value for member in enum}
    table.update(ENUM_LABELS.get(enum, {}))
    return table


def enum_converter(enum: type[StrEnum]) -> Callable[[str], str]:
    """A converter reading ``enum``'s values and labels; errors list the XSD values."""
    table = _enum_table(enum)
    expected = "expected one of: " + ", ".join(member.value for member in enum)

    def convert(raw: str) -> str:
        value = table.get(raw.upper()) or table.get(fold(raw))
        if value is None:
            raise CellError(expected)
        return value

    return convert


_TYPES: Final = {fold(name): name for name in rules.CERTIFICATION_TYPES} | {
    "DIPLOME_D_ETABLISSEMENT": "Diplôme d'Etablissement",
    "DE": "Diplôme d'Etablissement",
    "DU": "Diplôme Universitaire",
    "REPERTOIRE_SPECIFIQUE": "RS",
}


def parse_certification_type(raw: str) -> str:
    """A certification type of the V22 dictionary, in its canonical spelling."""
    value = _TYPES.get(fold(raw))
    if value is None:
        raise CellError("expected one of: " + ", ".join(rules.CERTIFICATION_TYPES))
    return value


def parse_nir(raw: str) -> str:
    """A NIR reduced to its 13 characters (see ``builders.cdc.nir``)."""
    try:
        return nir.normalize_nir(raw)
    except ValueError as exc:
        raise CellError(str(exc)) from None


_RESULT: Final = re.compile(r"([0-9])\.([0-9])\s*=\s*([0-9]+)")
_RESULT_SPLIT: Final = re.compile(r"[|\s]+")
RESULTATS_EXPECTED: Final = (
    "expected DIGCOMP results as domaine.competence=niveau separated by '|', e.g. 1.1=3|2.4=5"
)


def parse_resultats(raw: str) -> list[dict[str, object]]:
    """DIGCOMP results written ``1.1=3|2.4=5`` (domaine.competence=niveau)."""
    items: list[dict[str, object]] = []
    for part in _RESULT_SPLIT.split(raw.replace(" =", "=").replace("= ", "=")):
        if not part:
            continue
        match = _RESULT.fullmatch(part)
        if match is None:
            raise CellError(f"{RESULTATS_EXPECTED}; cannot read {part!r}")
        domain, competence, level = match.groups()
        items.append(
            {"domaineCompetenceId": domain, "competenceId": competence, "niveau": int(level)}
        )
    return items


def format_resultats(resultats: Iterable[models.Resultat]) -> str:
    """The cell text of DIGCOMP results (inverse of ``parse_resultats``)."""
    return "|".join(
        f"{item.domaineCompetenceId}.{item.competenceId}={item.niveau}" for item in resultats
    )


def text(raw: str) -> str:
    """Free text, kept as written (already trimmed)."""
    return raw
