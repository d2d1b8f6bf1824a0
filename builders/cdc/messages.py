"""The CDC's passage-level error messages (cdc-format.md §8.1), their classes and hints.

The texts are the exact ones the CDC writes in ``PassagesKO/passage/messageErreur``. The local
portal replica renders them with the functions below, and the report parser classifies them
with :func:`classify`. Classification looks for stable key phrases in a normalised form of the
text (no accents, no case, single spaces, straight apostrophes); it never extracts ids from the
text, because the CDC's duplicate message can name an idTechnique other than the passage's own.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

DUPLICATE_TEMPLATE = (
    "Le passage certification avec le bcr émetteur {bcr} et l'id technique partenaire "
    "{id_technique} existe déjà en base"
)
CERTIFICATION_KO_TEMPLATE = (
    "Le statut de la certification avec le bcr émetteur {bcr}, l'id technique partenaire "
    "{id_technique} et l'index 0 est KO"
)
VALIDITY_DATE_TEMPLATE = (
    "La date de fin de validité est inférieure à date de début de validité pour le passage "
    "certification avec le bcr émetteur {bcr} et l'id technique partenaire {id_technique}"
)
HOLDER_NOT_FOUND = "Aucun titulaire ne correspond aux critères obligatoires"
HOLDER_NOT_FOUND_ENRICHED = (
    "Aucun titulaire ne correspond aux critères obligatoires enrichis du jour et du mois de "
    "naissance"
)
# The official guide spells "reconciliation" without an accent; keep it exactly.
HOLDER_NOT_FOUND_RECONCILIATION = "Aucun titulaire ne correspond aux critères de reconciliation"
SEVERAL_HOLDERS = "Plusieurs titulaires ont été identifiés"


class KoClass(StrEnum):
    """Why the CDC refused one passage."""

    DUPLICATE = "duplicate"
    HOLDER_NOT_FOUND = "holder_not_found"
    SEVERAL_HOLDERS = "several_holders"
    CERTIFICATION = "certification"
    DATE = "date"
    OTHER = "other"


_HINTS: dict[KoClass, str] = {
    KoClass.DUPLICATE: (
        "already accepted by the CDC in an earlier deposit: nothing to do, unless that earlier "
        "passage was not deposited by you (then contact the CDC support)"
    ),
    KoClass.HOLDER_NOT_FOUND: (
        "the holder was not matched: check birth name (nom de naissance), first name, sex, "
        "birth date and birth commune against the civil status, then deposit again"
    ),
    KoClass.SEVERAL_HOLDERS: (
        "the data match several holders: add or correct the full birth date, birth commune "
        "and other identification data, then deposit again"
    ),
    KoClass.CERTIFICATION: (
        "check that the certification code exists on France compétences (e.g. RS1710, not "
        "1710) and matches its type (RNCP or RS)"
    ),
    KoClass.DATE: (
        "check the dates: end of validity (dateFinValidite) before start of validity, or "
        "exam dates inconsistent"
    ),
    KoClass.OTHER: (
        "message not recognised: read it, correct the record, and contact "
        "support.certificateurs@caissedesdepots.fr if it is unclear"
    ),
}


def duplicate_message(bcr: str, id_technique: str) -> str:
    """Render the CDC's "already stored" message for one passage.

    Args:
        bcr: The emitter's BCR code (e.g. ``03VML243``).
        id_technique: The partner idTechnique the CDC already holds.

    Returns:
        The exact CDC text.
    """
    return DUPLICATE_TEMPLATE.format(bcr=bcr, id_technique=id_technique)


def certification_ko_message(bcr: str, id_technique: str) -> str:
    """Render the CDC's "certification status KO" message (unknown or mistyped code).

    Args:
        bcr: The emitter's BCR code.
        id_technique: The passage's idTechnique.

    Returns:
        The exact CDC text.
    """
    return CERTIFICATION_KO_TEMPLATE.format(bcr=bcr, id_technique=id_technique)


def validity_date_message(bcr: str, id_technique: str) -> str:
    """Render the CDC's "end of validity before start" message.

    Args:
        bcr: The emitter's BCR code.
        id_technique: The passage's idTechnique.

    Returns:
        The exact CDC text.
    """
    return VALIDITY_DATE_TEMPLATE.format(bcr=bcr, id_technique=id_technique)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
_KO_END = re.compile(r"\best ko\b")
_DATE_ORDER = re.compile(r"\bdate\b.*\b(inferieure|superieure|anterieure|posterieure)\b")


def normalise(message: str) -> str:
    """Fold a message for matching: no accents, lower case, straight quotes, single spaces.

    Args:
        message: Any text.

    Returns:
        The folded text.
    """
    decomposed = unicodedata.normalize("NFKD", message.translate(_APOSTROPHES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare.casefold()).strip()


@lru_cache(maxsize=1024)  # reports repeat a handful of texts thousands of times
def classify(message: str | None) -> KoClass:
    """Tell which kind of CDC error a ``messageErreur`` is.

    Args:
        message: The CDC's text, as found in the report (``None`` or empty gives OTHER).

    Returns:
        The class; OTHER for any text not recognised.
    """
    text = normalise(message or "")
    if "aucun titulaire ne correspond" in text:
        return KoClass.HOLDER_NOT_FOUND
    if "plusieurs titulaires" in text:
        return KoClass.SEVERAL_HOLDERS
    if "passage certification" in text and "existe deja en base" in text:
        return KoClass.DUPLICATE
    if "statut de la certification" in text and _KO_END.search(text):
        return KoClass.CERTIFICATION
    if _DATE_ORDER.search(text):
        return KoClass.DATE
    return KoClass.OTHER


def hint(klass: KoClass) -> str:
    """A short instruction telling the operator what to do about one class of error.

    Args:
        klass: The class returned by :func:`classify`.

    Returns:
        One sentence, in English.
    """
    return _HINTS[klass]
