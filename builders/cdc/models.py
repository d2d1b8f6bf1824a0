"""The CDC data model as pydantic models: the project's own rules (schemas 1.1.5 and 1.1.2).

Field names are the XSD local names so that error messages name the CDC field. Every model is
strict about its XSD facets (lengths, enumerations, ranges, patterns); cross-field business
rules of the data dictionary live in model validators (see ``builders.cdc.rules``).

Business rules (``builders.cdc.rules``) run as field validators of the field they concern, so a
violation is reported under that CDC field (e.g. a missing ``voieAccessVAE`` when
``modaliteAcces`` is VAE names ``voieAccessVAE``). Pass ``context={"schema_version": "1.1.2"}``
to ``model_validate`` to refuse what that version lacks (``identifiantNational``, and any field
whose ``since`` in ``builders.cdc.fields`` is newer); without a context every version's
structure is accepted.

The fields come from the field table (``builders.cdc.fields``): each class declares the fields
the code reads by name, with their types and rules; ``from_table`` checks every declared field
has its row and adds the rows it does not declare (a newer version's optional fields).

Nil convention: for an element the dictionary marks "Obligatoire (sauf nil)", ``None`` means
unknown and is written ``xsi:nil="true"``. For an optional ("Facultatif") element, ``None``
means the element is omitted. ``NILLABLE_FIELDS`` lists the former.
"""

# ruff: noqa: PLC0414 - the enums are re-exported: models.Sexe etc. stay the public names
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Final, Optional, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from builders.cdc import fields, rules
from builders.cdc.enums import (
    Action as Action,
)
from builders.cdc.enums import (
    InitiativeInscription as InitiativeInscription,
)
from builders.cdc.enums import (
    Mention as Mention,
)
from builders.cdc.enums import (
    ModaliteAcces as ModaliteAcces,
)
from builders.cdc.enums import (
    ModalitePassageExamen as ModalitePassageExamen,
)
from builders.cdc.enums import (
    NatureDeposant as NatureDeposant,
)
from builders.cdc.enums import (
    NiveauCECRL as NiveauCECRL,
)
from builders.cdc.enums import (
    ObtentionCertification as ObtentionCertification,
)
from builders.cdc.enums import (
    Sexe as Sexe,
)
from builders.cdc.enums import (
    VoieAccesVAE as VoieAccesVAE,
)
from builders.cdc.versions import since

# XSD date facet: years 1900-2099 only (pattern on every date of both schemas).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)


def _text(max_length: int, min_length: int = 1) -> object:
    return StringConstraints(min_length=min_length, max_length=max_length)


Str8 = Annotated[str, _text(8, 8)]
Str1 = Annotated[str, _text(1, 1)]
Str3 = Annotated[str, _text(3, 3)]
Str5 = Annotated[str, _text(5, 5)]
Str9 = Annotated[str, _text(9)]
Str13 = Annotated[str, _text(13)]
Str20 = Annotated[str, _text(20)]
Str30 = Annotated[str, _text(30)]
Str50 = Annotated[str, _text(50)]
Str60 = Annotated[str, _text(60)]
Str100 = Annotated[str, _text(100)]
Str250 = Annotated[str, _text(250)]
Str255 = Annotated[str, _text(255)]
CdcDate = Annotated[dt.date, Field(ge=MIN_DATE, le=MAX_DATE)]
# 13-character NIR without its key (XSD 1.1.5 pattern); department 2A/2B accepted.
Nir = Annotated[str, StringConstraints(pattern=r"^[12][0-9]{4}(2[abAB]|[0-9]{2})[0-9]{6}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_Class = TypeVar("_Class", bound=type[_Model])


def from_table(block: str) -> Callable[[_Class], _Class]:
    """Complete a model class from the field table's rows of ``block``.

    The class declares the fields the code reads by name (their types and the business rules
    as validators). A table row the class does not declare (a newer schema version's field)
    is added, optional, with the row's ``type_``; a row that the version in the validation
    context does not have is refused under its name. Every declared field must have its row.
    """

    def complete(cls: _Class) -> _Class:
        rows = fields.block(block)
        declared: dict[str, Any] = dict(cls.__pydantic_fields__)
        unknown = declared.keys() - {row.name for row in rows}
        untyped = [r.name for r in rows if r.name not in declared and r.type_ is None]
        if unknown or untyped:
            raise TypeError(
                f"{cls.__name__}: not in the field table {sorted(unknown)}, no type for {untyped}"
            )
        added: dict[str, Any] = {
            # Optional[...]: the row's type is a runtime object, not an annotation
            row.name: (Optional[row.type_], None)  # noqa: UP045
            for row in rows
            if row.name not in declared
        }
        later = {row.name: row.since for row in rows if row.since is not None}
        validators: dict[str, Any] = {}
        if later and block not in fields.BRANCHES:  # branches: IdentificationTitulaire checks
            validators["_in_version"] = field_validator(*later)(_in_version(later))
        if not added and not validators:
            return cls
        made: Any = create_model(
            cls.__name__,
            __base__=cls,
            __module__=cls.__module__,
            __validators__=validators,
            **added,
        )
        made.__qualname__ = cls.__qualname__
        return cast("_Class", made)

    return complete


def _in_version(later: dict[str, str]) -> Callable[[Any, Any, ValidationInfo], Any]:
    """A field validator refusing a value for a field the context's version lacks."""

    def check(_cls: Any, value: Any, info: ValidationInfo) -> Any:
        version = (info.context or {}).get(rules.SCHEMA_VERSION_KEY)
        name = info.field_name or ""
        if value is not None and isinstance(version, str) and not since(version, later[name]):
            rules.check(rules.newer_field(name, later[name], version))
        return value

    return classmethod(check)  # type: ignore[return-value]


@from_table("resultat")
class Resultat(_Model):
    """One DIGCOMP competence result (bloc 6): all three values are required by the rules."""

    niveau: Annotated[int, Field(ge=1, le=8)] | None = Field(default=None, validate_default=True)
    domaineCompetenceId: Str1 | None = Field(default=None, validate_default=True)  # noqa: N815
    competenceId: Str1 | None = Field(default=None, validate_default=True)  # noqa: N815

    @field_validator("niveau")
    @classmethod
    def _niveau(cls, value: int | None) -> int | None:
        if value is not None:
            return value  # the rule only asks for a value (fast path: no call)
        rules.check(rules.digcomp_level(value))
        return value

    @field_validator("domaineCompetenceId")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value in rules.DIGCOMP_COMPETENCES:
            return value  # a known domain passes the rule (fast path: no call)
        rules.check(rules.digcomp_domain(value))
        return value

    @field_validator("competenceId")
    @classmethod
    def _competence(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "domaineCompetenceId" in info.data:
            rules.check(rules.digcomp_competence(info.data["domaineCompetenceId"], value))
        return value


@from_table("niveauNumeriqueEuropeen")
class NiveauNumeriqueEuropeen(_Model):
    """DIGCOMP block (bloc 6), present iff presenceNiveauNumeriqueEuro."""

    scoreGeneral: Annotated[int, Field(ge=1, le=1000)] | None = Field(  # noqa: N815
        default=None, validate_default=True
    )
    resultats: tuple[Resultat, ...] = ()

    @field_validator("scoreGeneral")
    @classmethod
    def _score(cls, value: int | None) -> int | None:
        rules.check(rules.score_general(value))
        return value


@from_table("modalitesInscription")
class ModalitesInscription(_Model):
    """Bloc 7. ``modaliteAcces`` None is written as nil."""

    modaliteAcces: ModaliteAcces | None = None  # noqa: N815
    voieAccessVAE: VoieAccesVAE | None = Field(  # noqa: N815 - the XSD's spelling
        default=None, validate_default=True
    )
    initiativeInscription: InitiativeInscription | None = None  # noqa: N815
    dateInscription: CdcDate | None = None  # noqa: N815

    @field_validator("voieAccessVAE")
    @classmethod
    def _vae(cls, value: VoieAccesVAE | None, info: ValidationInfo) -> VoieAccesVAE | None:
        if "modaliteAcces" in info.data:
            rules.check(rules.vae_route(info.data["modaliteAcces"], value))
        return value


@from_table("titulaire")
class Titulaire(_Model):
    """Bloc 8: the holder's civil identity. Birth commune: INSEE code xor postal code."""

    nomNaissance: Str60  # noqa: N815
    nomUsage: Str60 | None = None  # noqa: N815 - nil when none
    prenom1: Str60
    prenom2: Str60 | None = None
    prenom3: Str60 | None = None
    anneeNaissance: Annotated[int, Field(ge=1900, le=2099)]  # noqa: N815
    moisNaissance: Annotated[int, Field(ge=1, le=12)] | None = None  # noqa: N815 - nil
    jourNaissance: Annotated[int, Field(ge=1, le=31)] | None = None  # noqa: N815 - nil
    sexe: Sexe
    codeInsee: Str5 | None = None  # noqa: N815 - codeCommuneNaissance/codeInseeNaissance
    codePostal: Str9 | None = None  # noqa: N815 - codePostalNaissance, nil when no INSEE
    libelleCommuneNaissance: Str60 | None = None  # noqa: N815
    codePaysNaissance: Str3 | None = Field(default=None, validate_default=True)  # noqa: N815
    libellePaysNaissance: Str60 | None = None  # noqa: N815
    commentairesMEN: Str250 | None = None  # noqa: N815

    @field_validator("jourNaissance")
    @classmethod
    def _birth_date(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "moisNaissance" in info.data:  # no day: nothing to check
            year = info.data.get("anneeNaissance")
            rules.check(rules.birth_date(year, info.data["moisNaissance"], value))
        return value

    @field_validator("codeInsee")
    @classmethod
    def _insee(cls, value: str | None) -> str | None:
        if value is not None:
            rules.check(rules.insee_code(value))
        return value

    @field_validator("codePostal")
    @classmethod
    def _commune(cls, value: str | None, info: ValidationInfo) -> str | None:
        rules.check(rules.birth_commune(info.data.get("codeInsee"), value))
        return value

    @field_validator("codePaysNaissance")
    @classmethod
    def _country(cls, value: str | None, info: ValidationInfo) -> str | None:
        data = info.data
        if "codeInsee" in data:
            insee = data["codeInsee"]
            if value is None and (insee is None or insee[:2] != "99"):
                return value  # born in France, no country: the rule passes (fast path)
            rules.check(rules.birth_country(insee, value))
        return value


@from_table("dossierFormation")
class DossierFormation(_Model):
    """Bloc 9: the holder's CPF training file."""

    idDossier: Str13  # noqa: N815
    nomTitulaire: Str30  # noqa: N815
    prenom1Titulaire: Str20  # noqa: N815


@from_table("identifiantNational")
class IdentifiantNational(_Model):
    """1.1.5 only: 13-character NIR (no key) and birth name."""

    nir: Nir
    nomNaissance: Str60  # noqa: N815


class IdentificationTitulaire(_Model):
    """Exactly one of the three branches (XSD choice)."""

    titulaire: Titulaire | None = None
    dossierFormation: DossierFormation | None = None  # noqa: N815
    identifiantNational: IdentifiantNational | None = None  # noqa: N815

    @field_validator("identifiantNational")
    @classmethod
    def _schema(
        cls, value: IdentifiantNational | None, info: ValidationInfo
    ) -> IdentifiantNational | None:
        version = (info.context or {}).get(rules.SCHEMA_VERSION_KEY)
        rules.check(rules.national_id_schema(version, value))
        return value

    @model_validator(mode="after")
    def _one_branch(self) -> IdentificationTitulaire:
        absent = (
            (self.titulaire is None)
            + (self.dossierFormation is None)
            + (self.identifiantNational is None)
        )
        if absent != 2:  # exactly one of the three branches
            rules.check(rules.one_branch(3 - absent))
        return self


#: The start date an end date must not precede.
_START_OF: Final = {"dateFinExamen": "dateDebutExamen", "dateFinValidite": "dateDebutValidite"}


@from_table("passage")
class PassageCertification(_Model):
    """Bloc 5: one certificate awarded to one holder."""

    idTechnique: Str255  # noqa: N815
    urlPreuve: Str255 | None = None  # noqa: N815
    libelleOption: Str255 | None = None  # noqa: N815
    obtentionCertification: ObtentionCertification  # noqa: N815
    donneeCertifiee: bool  # noqa: N815
    dateDebutExamen: CdcDate | None = None  # noqa: N815
    dateFinExamen: CdcDate | None = None  # noqa: N815
    modalitePassageExamen: ModalitePassageExamen | None = None  # noqa: N815
    codePostalCentreExamen: Str9 | None = None  # noqa: N815
    dateDebutValidite: CdcDate  # noqa: N815
    dateFinValidite: CdcDate | None = None  # noqa: N815 - nil when unlimited
    presenceNiveauLangueEuro: bool  # noqa: N815
    niveauLangueEuropeen: NiveauCECRL | None = Field(  # noqa: N815
        default=None, validate_default=True
    )
    presenceNiveauNumeriqueEuro: bool  # noqa: N815
    niveauNumeriqueEuropeen: NiveauNumeriqueEuropeen | None = Field(  # noqa: N815
        default=None, validate_default=True
    )
    scoring: Str255 | None = None  # nil when not held
    mentionValidee: Mention | None = None  # noqa: N815 - nil when unknown
    modalitesInscription: ModalitesInscription = ModalitesInscription()  # noqa: N815
    identificationTitulaire: IdentificationTitulaire  # noqa: N815
    verbatim: Str255 | None = None

    @field_validator("dateFinExamen", "dateFinValidite")
    @classmethod
    def _not_before_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start_field = _START_OF[info.field_name or ""]
        start = info.data.get(start_field)
        if start is not None and value is not None and value < start:
            rules.check(rules.date_order(start, value, start_field))
        return value

    @field_validator("niveauLangueEuropeen")
    @classmethod
    def _language(cls, value: NiveauCECRL | None, info: ValidationInfo) -> NiveauCECRL | None:
        data = info.data
        # The rule fails exactly when the flag and the level's presence disagree.
        if "presenceNiveauLangueEuro" in data and data["presenceNiveauLangueEuro"] is (
            value is None
        ):
            rules.check(rules.language_level(info.data["presenceNiveauLangueEuro"], value))
        return value

    @field_validator("niveauNumeriqueEuropeen")
    @classmethod
    def _digital(
        cls, value: NiveauNumeriqueEuropeen | None, info: ValidationInfo
    ) -> NiveauNumeriqueEuropeen | None:
        data = info.data
        # The rule fails exactly when the flag and the block's presence disagree.
        if "presenceNiveauNumeriqueEuro" in data and data["presenceNiveauNumeriqueEuro"] is (
            value is None
        ):
            rules.check(rules.digital_level(info.data["presenceNiveauNumeriqueEuro"], value))
        return value


@from_table("certification")
class Certification(_Model):
    """Bloc 4: the certification (France compétences code) the passage belongs to."""

    type: Str255
    code: Str100
    natureDeposant: NatureDeposant | None = None  # noqa: N815

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        rules.check(rules.certification_type(value))
        return value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str, info: ValidationInfo) -> str:
        rules.check(rules.certification_code(info.data.get("type"), value))
        return value


@from_table("declaration")
class Declaration(_Model):
    """Blocs 2-3: who declares (emitter BCR) for which certifier and contract."""

    idClientEmetteur: Str8  # noqa: N815
    idClientCertificateur: Str8  # noqa: N815
    idContrat: Str20  # noqa: N815


def _xml_text(model: BaseModel, info: ValidationInfo) -> None:
    """Refuse strings holding characters XML 1.0 forbids (skipped when the importer did it).

    One check per record rather than a pattern on every string field: a per-field regex
    costs about a third of the validation time, and the importer already checks each line.
    """
    if (info.context or {}).get(XML_CHARS_CHECKED):
        return
    strings = _strings(model)
    if rules.bad_xml_char("".join(value for _, value in strings)) is None:
        return
    for name, value in strings:
        message = rules.bad_xml_char(value)
        if message is not None:
            rules.check(f"{name}: {message}")


def _strings(model: BaseModel) -> list[tuple[str, str]]:
    """Every (field name, string value) of ``model`` and its sub-models (enums left out)."""
    # Exact type lookups, not isinstance: BaseModel's metaclass is an ABC and its instance
    # checks cost more than the rest of the walk.
    found: list[tuple[str, str]] = []
    stack: list[object] = [model]
    while stack:
        current = stack.pop()
        for name, value in current.__dict__.items():
            kind = type(value)
            if kind is str:
                found.append((name, value))
            elif kind is tuple:
                stack.extend(value)
            elif kind in _MODEL_CLASSES:
                stack.append(value)
    return found


#: Context key: the caller already refused non-XML characters (the importer does, per line).
XML_CHARS_CHECKED = "xml_chars_checked"


class PassageRecord(_Model):
    """One imported row: everything needed to place one passage in a flux file."""

    declaration: Declaration
    certification: Certification
    passage: PassageCertification

    @model_validator(mode="after")
    def _xml_chars(self, info: ValidationInfo) -> PassageRecord:
        _xml_text(self, info)
        return self


class SuppressionRecord(_Model):
    """A passage to delete (1.1.5 SUPPRESSION flux): idTechnique and the holder only."""

    declaration: Declaration
    certification: Certification
    idTechnique: Str255  # noqa: N815
    identificationTitulaire: IdentificationTitulaire  # noqa: N815

    @model_validator(mode="after")
    def _xml_chars(self, info: ValidationInfo) -> SuppressionRecord:
        _xml_text(self, info)
        return self


def _optional_copy(name: str, model: type[BaseModel], keep_out: frozenset[str]) -> type[_Model]:
    """``model``'s fields minus ``keep_out``, each optional and with its XSD facets only.

    Field validators (the project's business rules) are not copied; nested models keep theirs.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in keep_out:
            continue
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (annotation | None, None)
    made: type[_Model] = create_model(name, __base__=_Model, **fields)
    return made


#: What a SUPPRESSION passage may carry besides idTechnique and the holder: the XSD 1.1.5 lets
#: it hold every CREATION field (all optional there). The CDC ignores them for a deletion, so
#: only their XSD facets are checked (``builders.cdc.fluxread``).
SuppressionExtras = _optional_copy(
    "SuppressionExtras",
    PassageCertification,
    frozenset({"idTechnique", "identificationTitulaire"}),
)

_MODEL_CLASSES: frozenset[type] = frozenset(
    {
        Resultat,
        NiveauNumeriqueEuropeen,
        ModalitesInscription,
        Titulaire,
        DossierFormation,
        IdentifiantNational,
        IdentificationTitulaire,
        PassageCertification,
        Certification,
        Declaration,
    }
)

#: Elements written ``xsi:nil="true"`` when unknown ("Obligatoire (sauf nil)").
NILLABLE_FIELDS = fields.nillable()
