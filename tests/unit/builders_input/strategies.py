"""Hypothesis strategies producing records that ``builders.cdc.models`` accepts.

``passage_records(schema_version)`` covers the three identification branches (the NIR branch
only for 1.1.5), nils (every "Obligatoire (sauf nil)" field may be None), DIGCOMP blocks, VAE,
births abroad (INSEE 99xxx + codePaysNaissance), postal-code births and births with neither
code (written as a nil ``codePostal``). Other test modules import it as
``from tests.unit.builders_input.strategies import passage_records``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from builders.cdc.models import (
    MAX_DATE,
    MIN_DATE,
    Certification,
    Declaration,
    DossierFormation,
    IdentifiantNational,
    IdentificationTitulaire,
    InitiativeInscription,
    Mention,
    ModaliteAcces,
    ModalitePassageExamen,
    ModalitesInscription,
    NatureDeposant,
    NiveauCECRL,
    NiveauNumeriqueEuropeen,
    ObtentionCertification,
    PassageCertification,
    PassageRecord,
    Resultat,
    Sexe,
    Titulaire,
    VoieAccesVAE,
)
from builders.cdc.rules import CERTIFICATION_TYPES, DIGCOMP_COMPETENCES

# XML 1.0 text: letters, marks, digits, punctuation, symbols and spaces (no control
# characters, no surrogates, no non-characters). Models strip edges, so strip here too.
_CHARS = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Strings the models keep as they are: stripped, XML 1.0 characters, within bounds."""
    return (
        st.text(_CHARS, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda value: min_size <= len(value) <= max_size)
    )


_NAME_CHARS = st.characters(categories=("L",)) | st.sampled_from("-'")


def names(max_size: int) -> st.SearchStrategy[str]:
    """Person names as the importer keeps them: letters, hyphens, apostrophes, single spaces."""
    word = st.text(_NAME_CHARS, min_size=1, max_size=12)
    return (
        st.lists(word, min_size=1, max_size=4)
        .map(" ".join)
        .filter(lambda value: len(value) <= max_size)
    )


def labels(max_size: int) -> st.SearchStrategy[str]:
    """Place labels as the importer keeps them: no space runs, tabs or invisible characters."""
    return text(1, max_size).map(lambda value: " ".join(value.split())).filter(bool)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


_digits = st.text("0123456789", min_size=1, max_size=8)
dates = st.dates(MIN_DATE, MAX_DATE)


@st.composite
def date_ranges(draw: st.DrawFn) -> tuple[dt.date, dt.date | None]:
    """A start date and an end date (or None) not before it."""
    start = draw(dates)
    if draw(st.booleans()):
        return start, None
    room = (MAX_DATE - start).days
    return start, start + dt.timedelta(days=draw(st.integers(0, min(room, 4000))))


@st.composite
def certifications(draw: st.DrawFn) -> Certification:
    """A certification whose code matches its type."""
    type_ = draw(st.sampled_from(CERTIFICATION_TYPES))
    code = type_ + draw(_digits) if type_ in ("RNCP", "RS") else draw(text(1, 100))
    return Certification(
        type=type_, code=code, natureDeposant=draw(_optional(st.sampled_from(NatureDeposant)))
    )


declarations = st.builds(
    Declaration,
    idClientEmetteur=text(8, 8),
    idClientCertificateur=text(8, 8),
    idContrat=text(1, 20),
)


@st.composite
def resultats(draw: st.DrawFn) -> Resultat:
    """One DIGCOMP result with a competence that exists in its domain."""
    domain = draw(st.sampled_from(sorted(DIGCOMP_COMPETENCES)))
    competence = draw(st.integers(1, DIGCOMP_COMPETENCES[domain]))
    return Resultat(
        niveau=draw(st.integers(1, 8)), domaineCompetenceId=domain, competenceId=str(competence)
    )


digcomp_blocks = st.builds(
    NiveauNumeriqueEuropeen,
    scoreGeneral=st.integers(1, 1000),
    resultats=st.lists(resultats(), max_size=5).map(tuple),
)


@st.composite
def modalites(draw: st.DrawFn) -> ModalitesInscription:
    """Bloc 7: voieAccessVAE exactly when modaliteAcces is VAE."""
    access = draw(_optional(st.sampled_from(ModaliteAcces)))
    route = draw(st.sampled_from(VoieAccesVAE)) if access is ModaliteAcces.VAE else None
    return ModalitesInscription(
        modaliteAcces=access,
        voieAccessVAE=route,
        initiativeInscription=draw(_optional(st.sampled_from(InitiativeInscription))),
        dateInscription=draw(_optional(dates)),
    )


@st.composite
def birth_places(draw: st.DrawFn) -> dict[str, str | None]:
    """INSEE in France, INSEE abroad (99xxx + country), postal code, or neither (nil)."""
    kind = draw(st.sampled_from(("france", "corse", "abroad", "postal", "none")))
    place: dict[str, str | None] = {"codeInsee": None, "codePostal": None}
    if kind == "france":
        number = draw(st.integers(1000, 98999))
        place["codeInsee"] = f"{number:05d}"
    elif kind == "corse":
        place["codeInsee"] = (
            draw(st.sampled_from(("2A", "2B"))) + f"{draw(st.integers(0, 999)):03d}"
        )
    elif kind == "abroad":
        country = f"{draw(st.integers(100, 999)):03d}"
        place["codeInsee"] = "99" + country
        place["codePaysNaissance"] = country
        place["libellePaysNaissance"] = draw(_optional(labels(60)))
    elif kind == "postal":
        place["codePostal"] = draw(text(1, 9))
    return place


@st.composite
def titulaires(draw: st.DrawFn) -> Titulaire:
    """Bloc 8 with a real birth date when day and month are known."""
    year = draw(st.integers(1900, 2099))
    month = draw(_optional(st.integers(1, 12)))
    day = None
    if month is not None:
        day = draw(_optional(st.integers(1, calendar.monthrange(year, month)[1])))
    return Titulaire(
        nomNaissance=draw(names(60)),
        nomUsage=draw(_optional(names(60))),
        prenom1=draw(names(60)),
        prenom2=draw(_optional(names(60))),
        prenom3=draw(_optional(names(60))),
        anneeNaissance=year,
        moisNaissance=month,
        jourNaissance=day,
        sexe=draw(st.sampled_from(Sexe)),
        libelleCommuneNaissance=draw(_optional(labels(60))),
        commentairesMEN=draw(_optional(text(1, 250))),
        **draw(birth_places()),
    )


dossiers = st.builds(
    DossierFormation, idDossier=text(1, 13), nomTitulaire=names(30), prenom1Titulaire=names(20)
)
nirs = st.builds(
    lambda sex, middle, dept, tail: f"{sex}{middle}{dept}{tail}",
    st.sampled_from("12"),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{2}|2[abAB]", fullmatch=True),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)
identifiants = st.builds(IdentifiantNational, nir=nirs, nomNaissance=names(60))


def identifications(schema_version: str) -> st.SearchStrategy[IdentificationTitulaire]:
    """Exactly one branch; identifiantNational only for 1.1.5."""
    branches = [
        titulaires().map(lambda value: IdentificationTitulaire(titulaire=value)),
        dossiers.map(lambda value: IdentificationTitulaire(dossierFormation=value)),
    ]
    if schema_version == "1.1.5":
        branches.append(
            identifiants.map(lambda value: IdentificationTitulaire(identifiantNational=value))
        )
    return st.one_of(branches)


@st.composite
def passages(draw: st.DrawFn, schema_version: str) -> PassageCertification:
    """Bloc 5 consistent with every business rule."""
    start, end = draw(date_ranges())
    exam_start, exam_end = draw(st.none() | date_ranges()) or (None, None)
    language = draw(st.booleans())
    digital = draw(st.booleans())
    return PassageCertification(
        idTechnique=draw(text(1, 255)),
        urlPreuve=draw(_optional(text(1, 255))),
        libelleOption=draw(_optional(text(1, 255))),
        obtentionCertification=draw(st.sampled_from(ObtentionCertification)),
        donneeCertifiee=draw(st.booleans()),
        dateDebutExamen=exam_start,
        dateFinExamen=exam_end,
        modalitePassageExamen=draw(_optional(st.sampled_from(ModalitePassageExamen))),
        codePostalCentreExamen=draw(_optional(text(1, 9))),
        dateDebutValidite=start,
        dateFinValidite=end,
        presenceNiveauLangueEuro=language,
        niveauLangueEuropeen=draw(st.sampled_from(NiveauCECRL)) if language else None,
        presenceNiveauNumeriqueEuro=digital,
        niveauNumeriqueEuropeen=draw(digcomp_blocks) if digital else None,
        scoring=draw(_optional(text(1, 255))),
        mentionValidee=draw(_optional(st.sampled_from(Mention))),
        modalitesInscription=draw(modalites()),
        identificationTitulaire=draw(identifications(schema_version)),
        verbatim=draw(_optional(text(1, 255))),
    )


def passage_records(schema_version: str = "1.1.5") -> st.SearchStrategy[PassageRecord]:
    """Valid ``PassageRecord`` objects for ``schema_version`` ("1.1.5" or "1.1.2")."""
    return st.builds(
        PassageRecord,
        declaration=declarations,
        certification=certifications(),
        passage=passages(schema_version),
    )
