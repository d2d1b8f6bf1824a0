"""Render validated records as CDC XML fragments (UTF-8 bytes), elements in XSD order.

Rendering is hand-written string building with explicit escaping: it is several times faster
than building lxml elements and keeps memory flat, because each passage becomes one small
``bytes`` fragment that the batch writer copies to disk (see ``builders.flux.batching``).

Nil rules: a ``None`` in a field of ``builders.cdc.models.NILLABLE_FIELDS`` is written
``xsi:nil="true"``; any other ``None`` is omitted. ``modalitesInscription`` is always written
(``modaliteAcces`` nil when unknown). Schema 1.1.2 has no ``identifiantNational`` branch:
rendering one for 1.1.2 raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from builders.cdc.markup import escape
from builders.cdc.models import (
    NILLABLE_FIELDS,
    IdentificationTitulaire,
    NiveauNumeriqueEuropeen,
    PassageCertification,
    Titulaire,
)
from builders.cdc.versions import SchemaVersion

#: Indentation (tabs, as in the official 1.1.5 sample) of a passageCertification element.
PASSAGE_DEPTH = 7

_PASSAGE_HEAD = (
    "urlPreuve",
    "libelleOption",
    "obtentionCertification",
    "donneeCertifiee",
    "dateDebutExamen",
    "dateFinExamen",
    "modalitePassageExamen",
    "codePostalCentreExamen",
    "dateDebutValidite",
    "dateFinValidite",
    "presenceNiveauLangueEuro",
    "niveauLangueEuropeen",
    "presenceNiveauNumeriqueEuro",
)
_PASSAGE_MIDDLE = ("scoring", "mentionValidee")
_INSCRIPTION = ("voieAccessVAE", "initiativeInscription", "dateInscription")
_TITULAIRE_HEAD = (
    "nomNaissance",
    "nomUsage",
    "prenom1",
    "prenom2",
    "prenom3",
    "anneeNaissance",
    "moisNaissance",
    "jourNaissance",
    "sexe",
)
_TITULAIRE_TAIL = (
    "libelleCommuneNaissance",
    "codePaysNaissance",
    "libellePaysNaissance",
    "commentairesMEN",
)
_RESULTAT = ("niveau", "domaineCompetenceId", "competenceId")
_DOSSIER = ("idDossier", "nomTitulaire", "prenom1Titulaire")


#: How a field's value becomes text, as a Python expression of ``v`` (see ``_emitter``).
_FORMATS: dict[str, str] = {
    **dict.fromkeys(
        ("donneeCertifiee", "presenceNiveauLangueEuro", "presenceNiveauNumeriqueEuro"),
        '("true" if v else "false")',
    ),
    **dict.fromkeys(
        (
            "dateDebutExamen",
            "dateFinExamen",
            "dateDebutValidite",
            "dateFinValidite",
            "dateInscription",
        ),
        "v.isoformat()",
    ),
    # The model enums are StrEnums: the member already is its (markup-free) value as a str.
    **dict.fromkeys(
        (
            "obtentionCertification",
            "modalitePassageExamen",
            "niveauLangueEuropeen",
            "mentionValidee",
            "modaliteAcces",
            "voieAccessVAE",
            "initiativeInscription",
            "sexe",
        ),
        "v",
    ),
    **dict.fromkeys(
        ("anneeNaissance", "moisNaissance", "jourNaissance", "scoreGeneral", "niveau"), "str(v)"
    ),
}
#: Appends the elements of some fields of a model, given its ``__dict__``, to a parts list.
Emitter = Callable[[list[str], dict[str, Any]], None]


def _emitter(depth: int, names: Sequence[str]) -> Emitter:
    """Straight-line code writing ``names`` in order at ``depth`` (compiled once, at import).

    Per field: ``<cpf:name>value</cpf:name>`` when set; when None, ``xsi:nil`` for a field of
    ``NILLABLE_FIELDS``, nothing otherwise. Free text goes through ``escape``. Generated code,
    because this runs for every field of every passage: a generic loop over field specs and
    formatter calls costs about twice as much.
    """
    pad = "\t" * depth
    lines = ["def emit(parts, fields):"]
    for name in names:
        form = _FORMATS.get(name, "escape(v)")
        open_tag, close_tag = f"{pad}<cpf:{name}>", f"</cpf:{name}>\n"
        lines += [
            f"    v = fields[{name!r}]",
            "    if v is not None:",
            f"        parts += ({open_tag!r}, {form}, {close_tag!r})",
        ]
        if name in NILLABLE_FIELDS:
            nil = f'{pad}<cpf:{name} xsi:nil="true"/>\n'
            lines += ["    else:", f"        parts.append({nil!r})"]
    namespace: dict[str, Any] = {"escape": escape}
    exec("\n".join(lines), namespace)  # noqa: S102 - code built above from constant names
    emit: Emitter = namespace["emit"]
    return emit


_D = PASSAGE_DEPTH
_HEAD = _emitter(_D + 1, _PASSAGE_HEAD)
_MIDDLE = _emitter(_D + 1, _PASSAGE_MIDDLE)
_VERBATIM = _emitter(_D + 1, ("verbatim",))
_SCORE = _emitter(_D + 2, ("scoreGeneral",))
_RESULTAT_FIELDS = _emitter(_D + 4, _RESULTAT)
_INSCRIPTION_FIELDS = _emitter(_D + 2, ("modaliteAcces", *_INSCRIPTION))
_TITULAIRE_HEAD_FIELDS = _emitter(_D + 3, _TITULAIRE_HEAD)
_TITULAIRE_TAIL_FIELDS = _emitter(_D + 3, _TITULAIRE_TAIL)
_CODE_POSTAL = _emitter(_D + 5, ("codePostal",))
_DOSSIER_FIELDS = _emitter(_D + 3, _DOSSIER)


def _tags(depth: int, name: str) -> tuple[str, str]:
    """The opening and closing lines of element ``name`` at ``depth`` tabs."""
    pad = "\t" * depth
    return f"{pad}<cpf:{name}>\n", f"{pad}</cpf:{name}>\n"


# Fixed lines: a passage is always written at PASSAGE_DEPTH.
_PASSAGE_OPEN, _PASSAGE_CLOSE = _tags(_D, "passageCertification")
_ID_OPEN = "\t" * (_D + 1) + "<cpf:idTechnique>"
_NUMERIQUE = _tags(_D + 1, "niveauNumeriqueEuropeen")
_RESULTATS = _tags(_D + 2, "resultats")
_RESULTAT_TAGS = _tags(_D + 3, "resultat")
_INSCRIPTION_TAGS = _tags(_D + 1, "modalitesInscription")
_IDENTIFICATION = _tags(_D + 1, "identificationTitulaire")
_TITULAIRE = _tags(_D + 2, "titulaire")
_COMMUNE = _tags(_D + 3, "codeCommuneNaissance")
_INSEE = (
    _tags(_D + 4, "codeInseeNaissance")[0] + "\t" * (_D + 5) + "<cpf:codeInsee>",
    "</cpf:codeInsee>\n" + _tags(_D + 4, "codeInseeNaissance")[1],
)
_POSTAL = _tags(_D + 4, "codePostalNaissance")
_DOSSIER_TAGS = _tags(_D + 2, "dossierFormation")
_NATIONAL_INNER = "\t" * (_D + 3)


def _numerique(parts: list[str], block: NiveauNumeriqueEuropeen) -> None:
    parts.append(_NUMERIQUE[0])
    _SCORE(parts, block.__dict__)
    if block.resultats:
        parts.append(_RESULTATS[0])
        for resultat in block.resultats:
            parts.append(_RESULTAT_TAGS[0])
            _RESULTAT_FIELDS(parts, resultat.__dict__)
            parts.append(_RESULTAT_TAGS[1])
        parts.append(_RESULTATS[1])
    parts.append(_NUMERIQUE[1])


def _titulaire(parts: list[str], holder: Titulaire) -> None:
    fields = holder.__dict__
    parts.append(_TITULAIRE[0])
    _TITULAIRE_HEAD_FIELDS(parts, fields)
    parts.append(_COMMUNE[0])
    if holder.codeInsee is not None:
        parts += (_INSEE[0], escape(holder.codeInsee), _INSEE[1])
    else:
        parts.append(_POSTAL[0])
        _CODE_POSTAL(parts, fields)
        parts.append(_POSTAL[1])
    parts.append(_COMMUNE[1])
    _TITULAIRE_TAIL_FIELDS(parts, fields)
    parts.append(_TITULAIRE[1])


def _identification(
    parts: list[str], ident: IdentificationTitulaire, version: SchemaVersion
) -> None:
    parts.append(_IDENTIFICATION[0])
    if ident.titulaire is not None:
        _titulaire(parts, ident.titulaire)
    elif ident.dossierFormation is not None:
        parts.append(_DOSSIER_TAGS[0])
        _DOSSIER_FIELDS(parts, ident.dossierFormation.__dict__)
        parts.append(_DOSSIER_TAGS[1])
    elif ident.identifiantNational is not None:
        if version == "1.1.2":
            raise ValueError("identifiantNational requires schema 1.1.5 (not in 1.1.2)")
        national = ident.identifiantNational
        inner = _NATIONAL_INNER
        parts.append(
            f"{inner}<cpf:identifiantNational>\n"
            f"{inner}\t<cpf:nir>{escape(national.nir)}</cpf:nir>\n"
            f"{inner}\t<cpf:nomNaissance>{escape(national.nomNaissance)}</cpf:nomNaissance>\n"
            f"{inner}</cpf:identifiantNational>\n"
        )
    else:
        raise ValueError("identificationTitulaire has no branch")
    parts.append(_IDENTIFICATION[1])


def render_passage(passage: PassageCertification, version: SchemaVersion) -> bytes:
    """One ``passageCertification`` element (CREATION), indented, as UTF-8 bytes.

    Raises:
        ValueError: the record cannot be expressed in ``version`` (identifiantNational
            under 1.1.2).
    """
    fields = passage.__dict__  # pydantic keeps field values there; a dict lookup is cheapest
    parts = [_PASSAGE_OPEN, _ID_OPEN, escape(passage.idTechnique), "</cpf:idTechnique>\n"]
    _HEAD(parts, fields)
    if passage.niveauNumeriqueEuropeen is not None:
        _numerique(parts, passage.niveauNumeriqueEuropeen)
    _MIDDLE(parts, fields)
    parts.append(_INSCRIPTION_TAGS[0])
    _INSCRIPTION_FIELDS(parts, passage.modalitesInscription.__dict__)
    parts.append(_INSCRIPTION_TAGS[1])
    _identification(parts, passage.identificationTitulaire, version)
    _VERBATIM(parts, fields)
    parts.append(_PASSAGE_CLOSE)
    return "".join(parts).encode("utf-8")


def render_suppression(id_technique: str, ident: IdentificationTitulaire) -> bytes:
    """One SUPPRESSION ``passageCertification``: ``idTechnique`` and the holder only."""
    parts = [_PASSAGE_OPEN, _ID_OPEN, escape(id_technique), "</cpf:idTechnique>\n"]
    _identification(parts, ident, "1.1.5")
    parts.append(_PASSAGE_CLOSE)
    return "".join(parts).encode("utf-8")
