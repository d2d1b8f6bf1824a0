"""The canonical columns of an export and how headers are matched to them.

Canonical column names are the XSD local names, so a file whose header row uses the CDC element
names imports with no configuration. Extra columns:

- ``type``, ``code``, ``natureDeposant``: the certification (bloc 4);
- ``idClientEmetteur``, ``idClientCertificateur``, ``idContrat``: the declarant (blocs 2-3),
  defaulting to the ``[declarant]`` section of the config when a cell is empty;
- ``nir``: the ``identifiantNational`` NIR (1.1.5); its ``nomNaissance`` is the shared
  ``nomNaissance`` column;
- ``codeInsee`` / ``codePostal``: the birth commune (``codeInseeNaissance/codeInsee`` or
  ``codePostalNaissance/codePostal``);
- ``scoreGeneral`` and ``resultats``: the DIGCOMP block; ``resultats`` holds
  ``domaine.competence=niveau`` items separated by ``|``, e.g. ``1.1=3|2.4=5``;
- convenience: ``dateNaissance`` (``DD/MM/YYYY``, ``YYYY-MM-DD``, ``MM/YYYY`` or ``YYYY``;
  split into anneeNaissance/moisNaissance/jourNaissance) and ``admis`` (a false value, or a
  jury outcome such as "Ajourné", skips the row: only admitted candidates are declared).
- ``type`` may be left out when every ``code`` reads ``RNCP…`` or ``RS…``: it is inferred.
- ``presenceNiveauLangueEuro`` / ``presenceNiveauNumeriqueEuro`` may be left out: each flag is
  then true exactly when the row gives its level (``niveauLangueEuropeen``; ``scoreGeneral`` or
  ``resultats``).

How an export's headers are matched to these columns (CDC names, French labels, the
``[build.columns]`` mapping) is in ``builders.exports.headers``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from builders.cdc import models
from builders.exports import codes, names, normalize, outcome

Converter = Callable[[str], object]

DECLARATION: Final = ("idClientEmetteur", "idClientCertificateur", "idContrat")
CERTIFICATION: Final = ("type", "code", "natureDeposant")
PASSAGE: Final = (
    "idTechnique",
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
    "scoring",
    "mentionValidee",
    "verbatim",
)
DIGCOMP: Final = ("scoreGeneral", "resultats")
MODALITES: Final = ("modaliteAcces", "voieAccessVAE", "initiativeInscription", "dateInscription")
TITULAIRE: Final = (
    "nomNaissance",
    "nomUsage",
    "prenom1",
    "prenom2",
    "prenom3",
    "anneeNaissance",
    "moisNaissance",
    "jourNaissance",
    "sexe",
    "codeInsee",
    "codePostal",
    "libelleCommuneNaissance",
    "codePaysNaissance",
    "libellePaysNaissance",
    "commentairesMEN",
)
DOSSIER: Final = ("idDossier", "nomTitulaire", "prenom1Titulaire")
NATIONAL: Final = ("nir",)
CONVENIENCE: Final = ("dateNaissance", "admis")

#: Every canonical column, in template order.
CANONICAL: Final = (
    DECLARATION
    + CERTIFICATION
    + PASSAGE
    + DIGCOMP
    + MODALITES
    + TITULAIRE
    + DOSSIER
    + NATIONAL
    + CONVENIENCE
)

_DATE: Final = normalize.parse_date
_BOOL: Final = normalize.parse_bool
_INT: Final = normalize.parse_int
_enum: Final = normalize.enum_converter


_NAME: Final = names.parse_name
_LABEL: Final = names.parse_label

#: Converter per column; columns not listed are free text.
CONVERTERS: Final[Mapping[str, Converter]] = {
    "idTechnique": codes.refuse_scientific,
    "codePostalCentreExamen": normalize.parse_postal,
    "nomNaissance": _NAME,
    "nomUsage": _NAME,
    "prenom1": _NAME,
    "prenom2": _NAME,
    "prenom3": _NAME,
    "nomTitulaire": _NAME,
    "prenom1Titulaire": _NAME,
    "libelleCommuneNaissance": _LABEL,
    "libellePaysNaissance": _LABEL,
    "idDossier": codes.parse_identifier,
    "natureDeposant": _enum(models.NatureDeposant),
    "type": normalize.parse_certification_type,
    "code": normalize.parse_certification_code,
    "obtentionCertification": _enum(models.ObtentionCertification),
    "donneeCertifiee": _BOOL,
    "dateDebutExamen": _DATE,
    "dateFinExamen": _DATE,
    "modalitePassageExamen": _enum(models.ModalitePassageExamen),
    "dateDebutValidite": _DATE,
    "dateFinValidite": _DATE,
    "presenceNiveauLangueEuro": _BOOL,
    "niveauLangueEuropeen": _enum(models.NiveauCECRL),
    "presenceNiveauNumeriqueEuro": _BOOL,
    "mentionValidee": _enum(models.Mention),
    "scoreGeneral": _INT,
    "resultats": normalize.parse_resultats,
    "modaliteAcces": _enum(models.ModaliteAcces),
    "voieAccessVAE": _enum(models.VoieAccesVAE),
    "initiativeInscription": _enum(models.InitiativeInscription),
    "dateInscription": _DATE,
    "anneeNaissance": _INT,
    "moisNaissance": _INT,
    "jourNaissance": _INT,
    "sexe": _enum(models.Sexe),
    "codeInsee": normalize.parse_insee,
    "codePostal": normalize.parse_postal,
    "nir": normalize.parse_nir,
    "dateNaissance": normalize.parse_birth_date,
    "admis": outcome.parse_outcome,
}
