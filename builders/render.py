"""Render validated records as CDC XML fragments (UTF-8 bytes), elements in XSD order.

Rendering is hand-written string building with explicit escaping: it is several times faster
than building lxml elements and keeps memory flat, because each passage becomes one small
``bytes`` fragment that the batch writer copies to disk (see ``builders.batching``).

Nil rules: a ``None`` in a field of ``builders.models.NILLABLE_FIELDS`` is written
``xsi:nil="true"``; any other ``None`` is omitted. ``modalitesInscription`` is always written
(``modaliteAcces`` nil when unknown). Schema 1.1.2 has no ``identifiantNational`` branch:
rendering one for 1.1.2 raises ``ValueError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from builders.models import (
    NILLABLE_FIELDS,
    IdentificationTitulaire,
    ModalitesInscription,
    NiveauNumeriqueEuropeen,
    PassageCertification,
    Titulaire,
)
from builders.settings import SchemaVersion

NAMESPACE = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

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


def escape(text: str) -> str:
    """Escape character data for an XML 1.0 text node (``&``, ``<``, ``>`` and CR)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _enum(value: StrEnum) -> str:
    # The model enums are StrEnums: the member already is its (markup-free) value as a str.
    return value


_DATE: Callable[[dt.date], str] = dt.date.isoformat
_FORMATS: dict[str, Callable[[Any], str]] = {
    **dict.fromkeys(("donneeCertifiee", "presenceNiveauLangueEuro"), _bool),
    "presenceNiveauNumeriqueEuro": _bool,
    **dict.fromkeys(
        (
            "dateDebutExamen",
            "dateFinExamen",
            "dateDebutValidite",
            "dateFinValidite",
            "dateInscription",
        ),
        _DATE,
    ),
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
        _enum,
    ),
    **dict.fromkeys(
        ("anneeNaissance", "moisNaissance", "jourNaissance", "scoreGeneral", "niveau"), str
    ),
}
# (field, "<pad><cpf:field>", "</cpf:field>\n", nil element or "", formatter)
_Spec = tuple[str, str, str, str, Callable[[Any], str]]


def _specs(depth: int, names: Sequence[str]) -> tuple[_Spec, ...]:
    pad = "\t" * depth
    return tuple(
        (
            name,
            f"{pad}<cpf:{name}>",
            f"</cpf:{name}>\n",
            f'{pad}<cpf:{name} xsi:nil="true"/>\n' if name in NILLABLE_FIELDS else "",
            _FORMATS.get(name, escape),
        )
        for name in names
    )


def _emit(parts: list[str], model: BaseModel, specs: tuple[_Spec, ...]) -> None:
    fields = model.__dict__  # pydantic keeps field values there; a dict lookup is cheapest
    for name, open_tag, close_tag, nil, form in specs:
        value = fields[name]
        if value is not None:
            parts += (open_tag, form(value), close_tag)
        elif nil:
            parts.append(nil)


_D = PASSAGE_DEPTH
_HEAD_SPECS = _specs(_D + 1, _PASSAGE_HEAD)
_MIDDLE_SPECS = _specs(_D + 1, _PASSAGE_MIDDLE)
_VERBATIM_SPECS = _specs(_D + 1, ("verbatim",))
_SCORE_SPECS = _specs(_D + 2, ("scoreGeneral",))
_RESULTAT_SPECS = _specs(_D + 4, _RESULTAT)
_INSCRIPTION_SPECS = _specs(_D + 2, ("modaliteAcces", *_INSCRIPTION))
_TITULAIRE_HEAD_SPECS = _specs(_D + 3, _TITULAIRE_HEAD)
_TITULAIRE_TAIL_SPECS = _specs(_D + 3, _TITULAIRE_TAIL)
_CODE_POSTAL_SPECS = _specs(_D + 5, ("codePostal",))
_DOSSIER_SPECS = _specs(_D + 3, _DOSSIER)


def _numerique(parts: list[str], pad: str, block: NiveauNumeriqueEuropeen) -> None:
    parts.append(f"{pad}<cpf:niveauNumeriqueEuropeen>\n")
    inner = pad + "\t"
    _emit(parts, block, _SCORE_SPECS)
    if block.resultats:
        parts.append(f"{inner}<cpf:resultats>\n")
        for resultat in block.resultats:
            parts.append(f"{inner}\t<cpf:resultat>\n")
            _emit(parts, resultat, _RESULTAT_SPECS)
            parts.append(f"{inner}\t</cpf:resultat>\n")
        parts.append(f"{inner}</cpf:resultats>\n")
    parts.append(f"{pad}</cpf:niveauNumeriqueEuropeen>\n")


def _inscription(parts: list[str], pad: str, block: ModalitesInscription) -> None:
    parts.append(f"{pad}<cpf:modalitesInscription>\n")
    _emit(parts, block, _INSCRIPTION_SPECS)
    parts.append(f"{pad}</cpf:modalitesInscription>\n")


def _titulaire(parts: list[str], pad: str, holder: Titulaire) -> None:
    inner = pad + "\t"
    parts.append(f"{pad}<cpf:titulaire>\n")
    _emit(parts, holder, _TITULAIRE_HEAD_SPECS)
    parts.append(f"{inner}<cpf:codeCommuneNaissance>\n")
    if holder.codeInsee is not None:
        parts.append(
            f"{inner}\t<cpf:codeInseeNaissance>\n"
            f"{inner}\t\t<cpf:codeInsee>{escape(holder.codeInsee)}</cpf:codeInsee>\n"
            f"{inner}\t</cpf:codeInseeNaissance>\n"
        )
    else:
        parts.append(f"{inner}\t<cpf:codePostalNaissance>\n")
        _emit(parts, holder, _CODE_POSTAL_SPECS)
        parts.append(f"{inner}\t</cpf:codePostalNaissance>\n")
    parts.append(f"{inner}</cpf:codeCommuneNaissance>\n")
    _emit(parts, holder, _TITULAIRE_TAIL_SPECS)
    parts.append(f"{pad}</cpf:titulaire>\n")


def _identification(
    parts: list[str], pad: str, ident: IdentificationTitulaire, version: SchemaVersion
) -> None:
    inner = pad + "\t"
    parts.append(f"{pad}<cpf:identificationTitulaire>\n")
    if ident.titulaire is not None:
        _titulaire(parts, inner, ident.titulaire)
    elif ident.dossierFormation is not None:
        parts.append(f"{inner}<cpf:dossierFormation>\n")
        _emit(parts, ident.dossierFormation, _DOSSIER_SPECS)
        parts.append(f"{inner}</cpf:dossierFormation>\n")
    elif ident.identifiantNational is not None:
        if version == "1.1.2":
            raise ValueError("identifiantNational requires schema 1.1.5 (not in 1.1.2)")
        national = ident.identifiantNational
        parts.append(
            f"{inner}<cpf:identifiantNational>\n"
            f"{inner}\t<cpf:nir>{escape(national.nir)}</cpf:nir>\n"
            f"{inner}\t<cpf:nomNaissance>{escape(national.nomNaissance)}</cpf:nomNaissance>\n"
            f"{inner}</cpf:identifiantNational>\n"
        )
    else:
        raise ValueError("identificationTitulaire has no branch")
    parts.append(f"{pad}</cpf:identificationTitulaire>\n")


def render_passage(passage: PassageCertification, version: SchemaVersion) -> bytes:
    """One ``passageCertification`` element (CREATION), indented, as UTF-8 bytes.

    Raises:
        ValueError: the record cannot be expressed in ``version`` (identifiantNational
            under 1.1.2).
    """
    pad = "\t" * PASSAGE_DEPTH
    inner = pad + "\t"
    parts = [
        f"{pad}<cpf:passageCertification>\n",
        f"{inner}<cpf:idTechnique>{escape(passage.idTechnique)}</cpf:idTechnique>\n",
    ]
    _emit(parts, passage, _HEAD_SPECS)
    if passage.niveauNumeriqueEuropeen is not None:
        _numerique(parts, inner, passage.niveauNumeriqueEuropeen)
    _emit(parts, passage, _MIDDLE_SPECS)
    _inscription(parts, inner, passage.modalitesInscription)
    _identification(parts, inner, passage.identificationTitulaire, version)
    _emit(parts, passage, _VERBATIM_SPECS)
    parts.append(f"{pad}</cpf:passageCertification>\n")
    return "".join(parts).encode("utf-8")


def render_suppression(id_technique: str, ident: IdentificationTitulaire) -> bytes:
    """One SUPPRESSION ``passageCertification``: ``idTechnique`` and the holder only."""
    pad = "\t" * PASSAGE_DEPTH
    inner = pad + "\t"
    parts = [
        f"{pad}<cpf:passageCertification>\n",
        f"{inner}<cpf:idTechnique>{escape(id_technique)}</cpf:idTechnique>\n",
    ]
    _identification(parts, inner, ident, "1.1.5")
    parts.append(f"{pad}</cpf:passageCertification>\n")
    return "".join(parts).encode("utf-8")


def render_head(
    *,
    id_flux: str,
    horodatage: str,
    action: str | None,
    id_client_emetteur: str,
    id_client_certificateur: str,
    id_contrat: str,
) -> bytes:
    """Everything from the XML declaration down to ``<cpf:certifications>``."""
    action_line = f"\t<cpf:action>{action}</cpf:action>\n" if action else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<cpf:flux xmlns:cpf="{NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}">\n'
        f"\t<cpf:idFlux>{escape(id_flux)}</cpf:idFlux>\n"
        f"\t<cpf:horodatage>{horodatage}</cpf:horodatage>\n"
        f"{action_line}"
        "\t<cpf:emetteur>\n"
        f"\t\t<cpf:idClient>{escape(id_client_emetteur)}</cpf:idClient>\n"
        "\t\t<cpf:certificateurs>\n"
        "\t\t\t<cpf:certificateur>\n"
        f"\t\t\t\t<cpf:idClient>{escape(id_client_certificateur)}</cpf:idClient>\n"
        f"\t\t\t\t<cpf:idContrat>{escape(id_contrat)}</cpf:idContrat>\n"
        "\t\t\t\t<cpf:certifications>\n"
    ).encode()


def render_certification_open(type_: str, code: str, nature_deposant: str | None) -> bytes:
    """``<cpf:certification>`` with type, code, natureDeposant, down to passageCertifications."""
    nature = (
        f"\t\t\t\t\t\t<cpf:natureDeposant>{nature_deposant}</cpf:natureDeposant>\n"
        if nature_deposant
        else ""
    )
    return (
        "\t\t\t\t\t<cpf:certification>\n"
        f"\t\t\t\t\t\t<cpf:type>{escape(type_)}</cpf:type>\n"
        f"\t\t\t\t\t\t<cpf:code>{escape(code)}</cpf:code>\n"
        f"{nature}"
        "\t\t\t\t\t\t<cpf:passageCertifications>\n"
    ).encode()


CERTIFICATION_CLOSE = b"\t\t\t\t\t\t</cpf:passageCertifications>\n\t\t\t\t\t</cpf:certification>\n"
FILE_TAIL = (
    b"\t\t\t\t</cpf:certifications>\n\t\t\t</cpf:certificateur>\n\t\t</cpf:certificateurs>\n"
    b"\t</cpf:emetteur>\n</cpf:flux>\n"
)
