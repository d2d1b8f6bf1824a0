"""The one field table of the CDC format: every element the builders read or write.

One row per element, in XSD order within its block. The models (``builders.cdc.models``), the
renderer (``builders.cdc.render``), the flux reader (``builders.cdc.fluxread``), the export
columns and template (``builders.exports.columns``/``template``) all derive from it, so adding
a field (or a schema version's new fields, with ``since``) is a row here and nothing else.

Columns of a row:

- ``name``: the XSD local name (also the export column and the model field);
- ``block``: the element (or model) holding it: ``declaration``, ``certification``,
  ``passage`` (passageCertification), ``niveauNumeriqueEuropeen``, ``resultat``,
  ``modalitesInscription``, ``titulaire``, ``dossierFormation``, ``identifiantNational``;
- ``form``: how its value becomes text and how an export cell is read: ``text``, ``bool``
  (``true``/``false``), ``date`` (ISO), ``int``, ``enum`` (the member's value); or structure:
  ``block`` (a child element holding the block of the same name), ``list`` (``resultats``: a
  list of ``resultat``), ``commune`` (inside the ``codeCommuneNaissance`` choice),
  ``branches`` (``identificationTitulaire``: exactly one holder branch);
- ``converter``: the export cell parser when not the form's own (``builders.exports.columns``);
- ``nillable``: "Obligatoire (sauf nil)": ``None`` is written ``xsi:nil="true"``;
- ``since``: the first schema version holding it (None: every version);
- ``column``: an export column of its own (False for structure and shared names);
- ``enum``: the enumeration of an ``enum`` field;
- ``type_``: the model type of a field the model classes do not declare themselves (a newer
  version's optional field): the models add it, optional, with this type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from builders.cdc import enums
from builders.cdc.versions import SchemaVersion, since

#: Forms whose value is one text node.
SCALAR_FORMS: Final = frozenset({"text", "bool", "date", "int", "enum", "commune"})


@dataclass(frozen=True)
class CdcField:
    """One row of the field table (see the module docstring)."""

    name: str
    block: str
    form: str = "text"
    converter: str = ""
    nillable: bool = False
    since: SchemaVersion | None = None
    column: bool = True
    enum: type[StrEnum] | None = None
    type_: object = None

    @property
    def scalar(self) -> bool:
        return self.form in SCALAR_FORMS


def _enum(name: str, block: str, enum: type[StrEnum], *, nillable: bool = False) -> CdcField:
    return CdcField(name, block, "enum", enum=enum, nillable=nillable)


def _structure(name: str, block: str, form: str) -> CdcField:
    return CdcField(name, block, form, column=form == "list")


_D, _C, _P = "declaration", "certification", "passage"
_N, _R, _M = "niveauNumeriqueEuropeen", "resultat", "modalitesInscription"
_T, _F, _I = "titulaire", "dossierFormation", "identifiantNational"

#: The table, block by block, each block in XSD order.
FIELDS: Final[list[CdcField]] = [
    CdcField("idClientEmetteur", _D),
    CdcField("idClientCertificateur", _D),
    CdcField("idContrat", _D),
    CdcField("type", _C, converter="certification_type"),
    CdcField("code", _C, converter="certification_code"),
    _enum("natureDeposant", _C, enums.NatureDeposant),
    CdcField("idTechnique", _P),
    CdcField("urlPreuve", _P),
    CdcField("libelleOption", _P),
    _enum("obtentionCertification", _P, enums.ObtentionCertification),
    CdcField("donneeCertifiee", _P, "bool"),
    CdcField("dateDebutExamen", _P, "date"),
    CdcField("dateFinExamen", _P, "date"),
    _enum("modalitePassageExamen", _P, enums.ModalitePassageExamen),
    CdcField("codePostalCentreExamen", _P),
    CdcField("dateDebutValidite", _P, "date"),
    CdcField("dateFinValidite", _P, "date", nillable=True),
    CdcField("presenceNiveauLangueEuro", _P, "bool"),
    _enum("niveauLangueEuropeen", _P, enums.NiveauCECRL),
    CdcField("presenceNiveauNumeriqueEuro", _P, "bool"),
    _structure("niveauNumeriqueEuropeen", _P, "block"),
    CdcField("scoring", _P, nillable=True),
    _enum("mentionValidee", _P, enums.Mention, nillable=True),
    _structure("modalitesInscription", _P, "block"),
    _structure("identificationTitulaire", _P, "branches"),
    CdcField("verbatim", _P),
    CdcField("scoreGeneral", _N, "int"),
    CdcField("resultats", _N, "list", converter="resultats"),
    CdcField("niveau", _R, "int", column=False),
    CdcField("domaineCompetenceId", _R, column=False),
    CdcField("competenceId", _R, column=False),
    _enum("modaliteAcces", _M, enums.ModaliteAcces, nillable=True),
    _enum("voieAccessVAE", _M, enums.VoieAccesVAE),
    _enum("initiativeInscription", _M, enums.InitiativeInscription),
    CdcField("dateInscription", _M, "date"),
    CdcField("nomNaissance", _T),
    CdcField("nomUsage", _T, nillable=True),
    CdcField("prenom1", _T),
    CdcField("prenom2", _T),
    CdcField("prenom3", _T),
    CdcField("anneeNaissance", _T, "int"),
    CdcField("moisNaissance", _T, "int", nillable=True),
    CdcField("jourNaissance", _T, "int", nillable=True),
    _enum("sexe", _T, enums.Sexe),
    CdcField("codeInsee", _T, "commune", converter="insee"),
    CdcField("codePostal", _T, "commune", converter="postal", nillable=True),
    CdcField("libelleCommuneNaissance", _T),
    CdcField("codePaysNaissance", _T),
    CdcField("libellePaysNaissance", _T),
    CdcField("commentairesMEN", _T),
    CdcField("idDossier", _F),
    CdcField("nomTitulaire", _F),
    CdcField("prenom1Titulaire", _F),
    CdcField("nir", _I, converter="nir", since="1.1.5"),
    CdcField("nomNaissance", _I, since="1.1.5", column=False),
]

#: The holder identification branches (blocks under identificationTitulaire), in XSD order.
BRANCHES: Final = (_T, _F, _I)


def block(name: str) -> tuple[CdcField, ...]:
    """The rows of block ``name``, in XSD order."""
    return tuple(row for row in FIELDS if row.block == name)


def names(block_name: str) -> tuple[str, ...]:
    """The element names of block ``block_name``, in XSD order."""
    return tuple(row.name for row in block(block_name))


def columns(block_name: str) -> tuple[str, ...]:
    """The export columns of block ``block_name``, in XSD order."""
    return tuple(row.name for row in block(block_name) if row.column)


def nillable() -> frozenset[str]:
    """Elements written ``xsi:nil="true"`` when unknown."""
    return frozenset(row.name for row in FIELDS if row.nillable)


def item_block(list_name: str) -> str:
    """The block of one item of list ``list_name``: its singular (``resultats`` -> ``resultat``)."""
    return list_name.removesuffix("s")


def structure(form: str) -> frozenset[str]:
    """The names of the structural rows of ``form`` (``block``, ``list``, ``branches``)."""
    return frozenset(row.name for row in FIELDS if row.form == form)


def in_version(row: CdcField, version: SchemaVersion) -> bool:
    """Whether ``row`` exists in schema ``version``."""
    return since(version, row.since)


def branch_exists(branch: str, version: SchemaVersion) -> bool:
    """Whether the holder branch ``branch`` exists in ``version`` (all its rows do)."""
    return all(in_version(row, version) for row in block(branch))


def added_in(block_name: str) -> SchemaVersion | None:
    """The version that added block ``block_name`` (its rows' ``since``; None: always there)."""
    return next((row.since for row in block(block_name) if row.since), None)
