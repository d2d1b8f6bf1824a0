"""``accrochage template --xlsx``: an Excel template with French labels and drop-down lists.

Sheet ``accrochage``: row 1 holds the CDC names (what the importer reads as the header), row 2
the French label of each column (the data dictionary's wording; the importer skips this row
when it finds it right under the header), row 3 the example row of the CSV template with typed
cells (dates are date cells shown DD/MM/YYYY). Rows 3 onwards carry data validation: a
drop-down list for every enumeration, ``sexe``, ``admis`` and the booleans (the lists live on a
hidden sheet ``listes``, since Excel caps an inline list at 255 characters), and a date between
01/01/1900 and 31/12/2099 for every date column. Codes are text cells (format ``@``), so Excel
keeps their leading zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from builders.cdc import models
from builders.cdc.rules import CERTIFICATION_TYPES
from builders.exports.columns import CANONICAL
from builders.exports.dates import parse_date
from builders.exports.template import EXAMPLE

#: The French label of each canonical column (data dictionary V22 wording, shortened).
LABELS: Final = {
    "idClientEmetteur": "BCR de l'émetteur",
    "idClientCertificateur": "BCR du certificateur",
    "idContrat": "N° de contrat",
    "type": "Type de certification",
    "code": "Code de la certification (RNCP/RS)",
    "natureDeposant": "Nature du déposant",
    "idTechnique": "Identifiant technique du passage",
    "urlPreuve": "URL de la preuve",
    "libelleOption": "Option",
    "obtentionCertification": "Modalité d'obtention",
    "donneeCertifiee": "Donnée certifiée",
    "dateDebutExamen": "Date de début d'examen",
    "dateFinExamen": "Date de fin d'examen",
    "modalitePassageExamen": "Modalité de passage de l'examen",
    "codePostalCentreExamen": "Code postal du centre d'examen",
    "dateDebutValidite": "Date d'obtention (début de validité)",
    "dateFinValidite": "Date de fin de validité",
    "presenceNiveauLangueEuro": "Niveau de langue européen ?",
    "niveauLangueEuropeen": "Niveau de langue (CECRL)",
    "presenceNiveauNumeriqueEuro": "Niveau numérique européen ?",
    "scoring": "Score",
    "mentionValidee": "Mention",
    "verbatim": "Verbatim",
    "scoreGeneral": "Score général DIGCOMP",
    "resultats": "Résultats DIGCOMP (1.1=3|2.4=5)",
    "modaliteAcces": "Voie d'accès",
    "voieAccessVAE": "Voie d'accès VAE",
    "initiativeInscription": "Initiative de l'inscription",
    "dateInscription": "Date d'inscription",
    "nomNaissance": "Nom de naissance",
    "nomUsage": "Nom d'usage",
    "prenom1": "Prénom",
    "prenom2": "Deuxième prénom",
    "prenom3": "Troisième prénom",
    "anneeNaissance": "Année de naissance",
    "moisNaissance": "Mois de naissance",
    "jourNaissance": "Jour de naissance",
    "sexe": "Sexe (M/F)",
    "codeInsee": "Code INSEE de la commune de naissance",
    "codePostal": "Code postal de la commune de naissance",
    "libelleCommuneNaissance": "Commune de naissance",
    "codePaysNaissance": "Code pays de naissance",
    "libellePaysNaissance": "Pays de naissance",
    "commentairesMEN": "Commentaires MEN",
    "idDossier": "N° de dossier CPF",
    "nomTitulaire": "Nom du titulaire (dossier CPF)",
    "prenom1Titulaire": "Prénom du titulaire (dossier CPF)",
    "nir": "NIR (13 caractères)",
    "dateNaissance": "Date de naissance",
    "admis": "Admis (oui/non)",
}
_YES_NO: Final = ("oui", "non")
#: The drop-down list of each column that has one.
CHOICES: Final[dict[str, Sequence[str]]] = {
    "natureDeposant": [member.value for member in models.NatureDeposant],
    "type": list(CERTIFICATION_TYPES),
    "obtentionCertification": [member.value for member in models.ObtentionCertification],
    "donneeCertifiee": _YES_NO,
    "modalitePassageExamen": [member.value for member in models.ModalitePassageExamen],
    "presenceNiveauLangueEuro": _YES_NO,
    "niveauLangueEuropeen": [member.value for member in models.NiveauCECRL],
    "presenceNiveauNumeriqueEuro": _YES_NO,
    "mentionValidee": [member.value for member in models.Mention],
    "modaliteAcces": [member.value for member in models.ModaliteAcces],
    "voieAccessVAE": [member.value for member in models.VoieAccesVAE],
    "initiativeInscription": [member.value for member in models.InitiativeInscription],
    "sexe": [member.value for member in models.Sexe],
    "admis": _YES_NO,
}
DATES: Final = (
    "dateDebutExamen",
    "dateFinExamen",
    "dateDebutValidite",
    "dateFinValidite",
    "dateInscription",
    "dateNaissance",
)
_TEXT_CODES: Final = (
    "code",
    "codeInsee",
    "codePostal",
    "codePostalCentreExamen",
    "codePaysNaissance",
    "idDossier",
    "nir",
    "idTechnique",
)
#: Rows that get data validation (the header and the labels excluded).
_LAST_ROW: Final = 10_000


def is_label_row(columns: dict[str, str], cells: Sequence[str], headers: Sequence[str]) -> bool:
    """Whether ``cells`` is the template's French label row (every known cell is its label)."""
    position = {header: index for index, header in enumerate(headers)}
    checked = 0
    for name, header in columns.items():
        index = position.get(header)
        label = LABELS.get(name)
        if index is None or label is None or index >= len(cells):
            continue
        if cells[index].strip() != label:
            return False
        checked += 1
    return checked > 0


def write_template_xlsx(path: Path) -> None:
    """Write the XLSX template to ``path`` (overwriting it).

    Raises:
        OSError: the file cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = "accrochage"
    lists = book.create_sheet("listes")
    lists.sheet_state = "hidden"
    sheet.append(list(CANONICAL))
    sheet.append([LABELS[name] for name in CANONICAL])
    sheet.append([_typed(name, EXAMPLE.get(name, "")) for name in CANONICAL])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="666666")
    sheet.freeze_panes = "A3"
    lists_used = 0
    for position, name in enumerate(CANONICAL, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(14, min(40, len(LABELS[name]) + 2))
        cells = f"{letter}3:{letter}{_LAST_ROW}"
        if name in CHOICES:
            lists_used += 1
            list_column = get_column_letter(lists_used)
            for row, value in enumerate(CHOICES[name], start=1):
                lists[f"{list_column}{row}"] = value
            source = f"listes!${list_column}$1:${list_column}${len(CHOICES[name])}"
            rule = DataValidation(type="list", formula1=source, allow_blank=True)
            rule.error = f"{name}: choose a value from the list"
            rule.showErrorMessage = True
            sheet.add_data_validation(rule)
            rule.add(cells)
        elif name in DATES:
            rule = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1900,1,1)",
                formula2="DATE(2099,12,31)",
                allow_blank=True,
            )
            rule.error = f"{name}: a date from 01/01/1900 to 31/12/2099"
            rule.showErrorMessage = True
            sheet.add_data_validation(rule)
            rule.add(cells)
            sheet[f"{letter}3"].number_format = "DD/MM/YYYY"
        elif name in _TEXT_CODES:
            sheet[f"{letter}3"].number_format = "@"
    book.save(path)
    path.chmod(0o600)


def _typed(name: str, value: str) -> object:
    """The example cell as Excel would hold it: dates as dates, the rest as text."""
    if value and name in DATES:
        return parse_date(value)
    return value


__all__ = ["CHOICES", "DATES", "LABELS", "is_label_row", "write_template_xlsx"]
