"""``accrochage template``: a CSV with every canonical column and one valid example row.

The file is ``;``-separated UTF-8 with a BOM, so Excel opens it with accents intact. The
example row imports as one valid record with no configuration (it carries its own declarant
columns); the identification columns other than ``titulaire`` are left empty, as are the
DIGCOMP columns (``presenceNiveauNumeriqueEuro`` is false).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from builders.exports.columns import CANONICAL

#: The example row; columns not listed are empty.
EXAMPLE: Final = {
    "idClientEmetteur": "12ABC345",
    "idClientCertificateur": "12ABC345",
    "idContrat": "MCFCER000123",
    "type": "RNCP",
    "code": "RNCP34567",
    "natureDeposant": "CERTIFICATEUR",
    "idTechnique": "2024-RNCP34567-0001",
    "obtentionCertification": "PAR_ADMISSION",
    "donneeCertifiee": "oui",
    "dateDebutExamen": "03/06/2024",
    "dateFinExamen": "05/06/2024",
    "modalitePassageExamen": "EN_PRESENTIEL",
    "codePostalCentreExamen": "69003",
    "dateDebutValidite": "28/06/2024",
    "presenceNiveauLangueEuro": "non",
    "presenceNiveauNumeriqueEuro": "non",
    "mentionValidee": "Assez bien",
    "modaliteAcces": "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    "initiativeInscription": "CERTIFIE",
    "dateInscription": "15/01/2024",
    "nomNaissance": "Martin",
    "prenom1": "Élodie",
    "prenom2": "Anne",
    "anneeNaissance": "1990",
    "moisNaissance": "4",
    "jourNaissance": "17",
    "sexe": "F",
    "codeInsee": "69123",
    "libelleCommuneNaissance": "Lyon",
    "admis": "oui",
}


def write_template(path: Path) -> None:
    """Write the CSV template to ``path`` (overwriting it).

    Args:
        path: where to write, e.g. ``modele-accrochage.csv``.

    Raises:
        OSError: the file cannot be written.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(CANONICAL)
        writer.writerow([EXAMPLE.get(name, "") for name in CANONICAL])
