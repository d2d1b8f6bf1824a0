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

from builders.cdc import fields
from builders.exports import codes, names, normalize, outcome

Converter = Callable[[str], object]

# The CDC columns, block by block, from the field table (``builders.cdc.fields``).
DECLARATION: Final = fields.columns("declaration")
CERTIFICATION: Final = fields.columns("certification")
PASSAGE: Final = fields.columns("passage")
DIGCOMP: Final = fields.columns("niveauNumeriqueEuropeen")
MODALITES: Final = fields.columns("modalitesInscription")
TITULAIRE: Final = fields.columns("titulaire")
DOSSIER: Final = fields.columns("dossierFormation")
NATIONAL: Final = fields.columns("identifiantNational")
CONVENIENCE: Final = ("dateNaissance", "admis")

#: Every canonical column, in template order: the table's columns (in its order), then ours.
CANONICAL: Final = tuple(row.name for row in fields.FIELDS if row.column) + CONVENIENCE

#: The cell parser of each table form and named converter (free text has none).
_BY_FORM: Final[Mapping[str, Converter]] = {
    "bool": normalize.parse_bool,
    "date": normalize.parse_date,
    "int": normalize.parse_int,
}
_NAMED: Final[Mapping[str, Converter]] = {
    "certification_type": normalize.parse_certification_type,
    "certification_code": normalize.parse_certification_code,
    "resultats": normalize.parse_resultats,
    "insee": normalize.parse_insee,
    "postal": normalize.parse_postal,
    "nir": normalize.parse_nir,
}


def _converter(row: fields.CdcField) -> Converter | None:
    if row.converter:
        return _NAMED[row.converter]
    if row.enum is not None:
        return normalize.enum_converter(row.enum)
    return _BY_FORM.get(row.form)


_NAME: Final = names.parse_name
_LABEL: Final = names.parse_label

#: Converter per column; columns not listed are free text.
CONVERTERS: Final[Mapping[str, Converter]] = {
    **{
        row.name: found
        for row in fields.FIELDS
        if row.column and (found := _converter(row)) is not None
    },
    # Spreadsheet-aware parsers where the table's form is not enough (builders.exports.codes,
    # builders.exports.names): Excel's number artefacts, names and labels.
    "idTechnique": codes.refuse_scientific,
    "idDossier": codes.parse_identifier,
    "codePostalCentreExamen": normalize.parse_postal,
    **dict.fromkeys(
        (
            "nomNaissance",
            "nomUsage",
            "prenom1",
            "prenom2",
            "prenom3",
            "nomTitulaire",
            "prenom1Titulaire",
        ),
        _NAME,
    ),
    "libelleCommuneNaissance": _LABEL,
    "libellePaysNaissance": _LABEL,
    "dateNaissance": normalize.parse_birth_date,
    "admis": outcome.parse_outcome,
}
