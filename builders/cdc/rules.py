"""Business rules of the CDC data dictionary that the XSD does not check.

Each rule is a pure function returning ``None`` when the values are fine, or a plain-English
message naming what was expected. ``builders.cdc.models`` wires them as field validators (so that
a failure is reported against the CDC field it concerns) through :func:`check`.

Sources: ``../shared/docs/cdc-format.md`` §4 (dictionary V22, construction guide, report
reading guide). Decisions taken where the sources are silent are documented on each function.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from pydantic_core import PydanticCustomError

from builders.cdc import fields

#: Characters allowed in an XML 1.0 document (XML 1.0 §2.2), as a regex character class body.
XML_CHARS_CLASS: Final = "\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"
#: Pattern for pydantic ``StringConstraints``: the whole string is XML 1.0 characters.
XML_CHARS_PATTERN: Final = f"^[{XML_CHARS_CLASS}]*$"
_NOT_XML_CHAR = re.compile(f"[^{XML_CHARS_CLASS}]")

#: Certification types of the V22 dictionary (4.1), canonical spelling.
CERTIFICATION_TYPES: Final = (
    "RNCP",
    "RS",
    "Diplôme d'Etablissement",
    "Diplôme Universitaire",
    "Habilitation",
    "Reconnaissance",
)
_CODE_PATTERNS: Final = {"RNCP": re.compile(r"RNCP[0-9]+"), "RS": re.compile(r"RS[0-9]+")}
#: DIGCOMP: number of competences per domain (dictionary V22, bloc 6).
DIGCOMP_COMPETENCES: Final = {"1": 3, "2": 6, "3": 4, "4": 4, "5": 4}
_INSEE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})")
#: Context key telling the models which schema the record targets (a key of ``VERSIONS``).
SCHEMA_VERSION_KEY: Final = "schema_version"


def check(message: str | None) -> None:
    """Raise a pydantic error carrying ``message`` when a rule failed.

    Raises:
        PydanticCustomError: of type ``cdc_rule``, whose text is ``message``.
    """
    if message is not None:
        raise PydanticCustomError("cdc_rule", "{reason}", {"reason": message})


def bad_xml_char(value: str) -> str | None:
    """Describe the first character of ``value`` that XML 1.0 forbids, or None."""
    found = _NOT_XML_CHAR.search(value)
    if found is None:
        return None
    return (
        f"contains the character U+{ord(found.group()):04X} at position {found.start() + 1}, "
        "which XML 1.0 does not allow (control character); remove it"
    )


def language_level(presence: bool, niveau: object) -> str | None:
    """niveauLangueEuropeen is given iff presenceNiveauLangueEuro is true (5.12/5.13)."""
    if presence and niveau is None:
        return "required when presenceNiveauLangueEuro is true (A1..C2 or INSUFFISANT)"
    if not presence and niveau is not None:
        return "must be empty when presenceNiveauLangueEuro is false"
    return None


def digital_level(presence: bool, block: object) -> str | None:
    """The DIGCOMP block (bloc 6) is given iff presenceNiveauNumeriqueEuro is true (5.14)."""
    if presence and block is None:
        return "required when presenceNiveauNumeriqueEuro is true (give scoreGeneral)"
    if not presence and block is not None:
        return "must be empty when presenceNiveauNumeriqueEuro is false"
    return None


def score_general(score: int | None) -> str | None:
    """The DIGCOMP block carries its scoreGeneral (construction guide §2.5.1)."""
    if score is None:
        return "required in the DIGCOMP block (an integer from 1 to 1000)"
    return None


def digcomp_domain(domain: str | None) -> str | None:
    """domaineCompetenceId is one of the five DIGCOMP domains 1..5."""
    if domain is None:
        return "required for each DIGCOMP result (a domain from 1 to 5)"
    if domain not in DIGCOMP_COMPETENCES:
        return "expected a DIGCOMP domain from 1 to 5"
    return None


def digcomp_competence(domain: str | None, competence: str | None) -> str | None:
    """competenceId exists in its domain: 1 -> 1-3, 2 -> 1-6, 3, 4 and 5 -> 1-4."""
    if competence is None:
        return "required for each DIGCOMP result"
    count = DIGCOMP_COMPETENCES.get(domain or "")
    if count is None:
        return None  # the domain itself is reported
    if not (competence.isdigit() and 1 <= int(competence) <= count):
        return f"expected a competence from 1 to {count} for DIGCOMP domain {domain}"
    return None


def digcomp_level(niveau: int | None) -> str | None:
    """Each DIGCOMP result carries its level (dictionary 6.2)."""
    if niveau is None:
        return "required for each DIGCOMP result (an integer from 1 to 8)"
    return None


def vae_route(modalite: object, voie: object) -> str | None:
    """voieAccessVAE is required when modaliteAcces is VAE (7.2: "obligatoire si 7.1 = VAE")."""
    if _is_vae(modalite) and voie is None:
        return "required when modaliteAcces is VAE (CONGES_VAE or VAE_CLASSIQUE)"
    return None


def vae_route_unexpected(modalite: object, voie: object) -> str | None:
    """A warning, not an error: voieAccessVAE given although modaliteAcces is not VAE.

    The dictionary only makes the field conditional; the CDC's own example files
    (Fichier XML v2.0.0 and the 2026 CREATION.xml) give VAE_CLASSIQUE with
    FORMATION_INITIALE_APPRENTISSAGE and pass the official XSD, so refusing it would refuse
    the CDC's own samples. ``check`` reports it so the operator can tidy the export.
    """
    if voie is not None and not _is_vae(modalite):
        return "given although modaliteAcces is not VAE (the CDC ignores it; usually a mistake)"
    return None


def _is_vae(modalite: object) -> bool:
    return modalite is not None and str(modalite) == "VAE"


def date_order(start: dt.date | None, end: dt.date | None, start_name: str) -> str | None:
    """An end date is not before its start date (5.7, 5.11)."""
    if start is not None and end is not None and end < start:
        return f"must not be before {start_name} ({start.isoformat()})"
    return None


def insee_code(code: str | None) -> str | None:
    """An INSEE code is 5 digits, or 2A/2B + 3 digits (Corsica); 99xxx for a country."""
    if code is not None and not _INSEE.fullmatch(code):
        return "expected a 5-character INSEE code: 5 digits (99xxx abroad), or 2A/2B + 3 digits"
    return None


def birth_commune(code_insee: str | None, code_postal: str | None) -> str | None:
    """INSEE code xor postal code (XSD choice; both -> cvc-complex-type.2.4.d).

    With neither, the postal-code branch is written with ``codePostal`` nil: the dictionary
    makes codeInsee "Facultatif" and codePostal "Obligatoire (sauf nil)" when codeInsee is
    absent, and the XSD allows it.
    """
    if code_insee is not None and code_postal is not None:
        return "give either codeInsee or codePostal, not both (the CDC recommends codeInsee)"
    return None


def birth_country(code_insee: str | None, code_pays: str | None) -> str | None:
    """Born abroad = INSEE code 99xxx, then codePaysNaissance = its last 3 digits (8.10, 8.13).

    Born in France (any other INSEE code, or a postal code) codePaysNaissance stays empty.
    """
    if code_insee is not None and code_insee.startswith("99"):
        if code_pays != code_insee[2:]:
            return (
                f"must be {code_insee[2:]}, the last 3 digits of codeInsee {code_insee} "
                "(born abroad)"
            )
        return None
    if code_pays is not None:
        return "must be empty unless codeInsee is a foreign country code 99xxx (born abroad)"
    return None


def birth_date(year: int | None, month: int | None, day: int | None) -> str | None:
    """A known day needs a known month, and together they form a real calendar date."""
    if day is None:
        return None
    if month is None:
        return "a birth day needs its month (moisNaissance)"
    if year is None:
        return None  # anneeNaissance is reported on its own
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d} is not a real calendar date"
    return None


def certification_type(type_: str) -> str | None:
    """The type is one of the V22 dictionary's types (4.1)."""
    if type_ not in CERTIFICATION_TYPES:
        return "expected one of: " + ", ".join(CERTIFICATION_TYPES)
    return None


def certification_code(type_: str | None, code: str) -> str | None:
    """An RNCP code is ``RNCP`` + digits, an RS code ``RS`` + digits (4.2); others are free."""
    pattern = _CODE_PATTERNS.get(type_ or "")
    if pattern is not None and not pattern.fullmatch(code):
        return f"expected {type_} followed by digits (e.g. {type_}12345) for type {type_}"
    return None


def one_branch(branches: int) -> str | None:
    """identificationTitulaire holds exactly one branch (titulaire, dossier or NIR)."""
    if branches != 1:
        return (
            "exactly one of titulaire, dossierFormation or identifiantNational is required "
            f"(got {branches})"
        )
    return None


def national_id_schema(schema_version: object, value: object) -> str | None:
    """identifiantNational (NIR) exists only from the schema version that added it (1.1.5)."""
    if value is None or not isinstance(schema_version, str):
        return None
    if fields.branch_exists("identifiantNational", schema_version):
        return None
    first = fields.added_in("identifiantNational")
    return (
        f"identifiantNational (NIR) exists only in schema {first}; for {schema_version} "
        "identify the holder with titulaire (name, first name, birth date, sex) or "
        "dossierFormation"
    )


def newer_field(name: str, first: str | None, schema_version: str) -> str:
    """The message for a field that schema ``schema_version`` does not have."""
    return f"{name} exists only from schema {first} (the file targets {schema_version})"
