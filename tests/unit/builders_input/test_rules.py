"""Business rules on the models: each accepts the good case and rejects the bad one at its field."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from builders.cdc.models import PassageRecord


def _record() -> dict[str, Any]:
    return {
        "declaration": {
            "idClientEmetteur": "12ABC345",
            "idClientCertificateur": "12ABC345",
            "idContrat": "MCFCER000123",
        },
        "certification": {"type": "RNCP", "code": "RNCP34567"},
        "passage": {
            "idTechnique": "T-1",
            "obtentionCertification": "PAR_ADMISSION",
            "donneeCertifiee": True,
            "dateDebutValidite": dt.date(2024, 6, 28),
            "presenceNiveauLangueEuro": False,
            "presenceNiveauNumeriqueEuro": False,
            "identificationTitulaire": {
                "titulaire": {
                    "nomNaissance": "Martin",
                    "prenom1": "Elodie",
                    "anneeNaissance": 1990,
                    "moisNaissance": 4,
                    "jourNaissance": 17,
                    "sexe": "F",
                    "codeInsee": "69123",
                }
            },
        },
    }


def _with(changes: dict[str, Any]) -> dict[str, Any]:
    """The base record with dotted-path changes (None deletes the key)."""
    record = _record()
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = record
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = copy.deepcopy(value)
    return record


def _rejected_fields(data: dict[str, Any], version: str = "1.1.5") -> set[str]:
    with pytest.raises(ValidationError) as caught:
        PassageRecord.model_validate(data, context={"schema_version": version})
    return {
        str(next((part for part in reversed(error["loc"]) if isinstance(part, str)), ""))
        for error in caught.value.errors()
    }


P = "passage"
T = "passage.identificationTitulaire.titulaire"
DIGCOMP = {
    "scoreGeneral": 500,
    "resultats": [{"niveau": 3, "domaineCompetenceId": "2", "competenceId": "6"}],
}

CASES = [
    # (rule, good changes, bad changes, field named)
    (
        "language level iff its flag",
        {f"{P}.presenceNiveauLangueEuro": True, f"{P}.niveauLangueEuropeen": "B2"},
        {f"{P}.presenceNiveauLangueEuro": True},
        "niveauLangueEuropeen",
    ),
    (
        "no language level without its flag",
        {f"{P}.niveauLangueEuropeen": None},
        {f"{P}.niveauLangueEuropeen": "B2"},
        "niveauLangueEuropeen",
    ),
    (
        "DIGCOMP block iff its flag",
        {f"{P}.presenceNiveauNumeriqueEuro": True, f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        {f"{P}.presenceNiveauNumeriqueEuro": True},
        "niveauNumeriqueEuropeen",
    ),
    (
        "no DIGCOMP block without its flag",
        {},
        {f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        "niveauNumeriqueEuropeen",
    ),
    (
        "scoreGeneral required in the DIGCOMP block",
        {f"{P}.presenceNiveauNumeriqueEuro": True, f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        {
            f"{P}.presenceNiveauNumeriqueEuro": True,
            f"{P}.niveauNumeriqueEuropeen": {"resultats": DIGCOMP["resultats"]},
        },
        "scoreGeneral",
    ),
    (
        "DIGCOMP domain 1..5",
        {f"{P}.presenceNiveauNumeriqueEuro": True, f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        {
            f"{P}.presenceNiveauNumeriqueEuro": True,
            f"{P}.niveauNumeriqueEuropeen": {
                "scoreGeneral": 1,
                "resultats": [{"niveau": 3, "domaineCompetenceId": "6", "competenceId": "1"}],
            },
        },
        "domaineCompetenceId",
    ),
    (
        "DIGCOMP competence within its domain",
        {f"{P}.presenceNiveauNumeriqueEuro": True, f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        {
            f"{P}.presenceNiveauNumeriqueEuro": True,
            f"{P}.niveauNumeriqueEuropeen": {
                "scoreGeneral": 1,
                "resultats": [{"niveau": 3, "domaineCompetenceId": "1", "competenceId": "4"}],
            },
        },
        "competenceId",
    ),
    (
        "DIGCOMP level required",
        {f"{P}.presenceNiveauNumeriqueEuro": True, f"{P}.niveauNumeriqueEuropeen": DIGCOMP},
        {
            f"{P}.presenceNiveauNumeriqueEuro": True,
            f"{P}.niveauNumeriqueEuropeen": {
                "scoreGeneral": 1,
                "resultats": [{"domaineCompetenceId": "1", "competenceId": "1"}],
            },
        },
        "niveau",
    ),
    (
        "voieAccessVAE iff VAE",
        {f"{P}.modalitesInscription": {"modaliteAcces": "VAE", "voieAccessVAE": "CONGES_VAE"}},
        {f"{P}.modalitesInscription": {"modaliteAcces": "VAE"}},
        "voieAccessVAE",
    ),
    (
        "validity end not before start",
        {f"{P}.dateFinValidite": dt.date(2024, 6, 28)},
        {f"{P}.dateFinValidite": dt.date(2024, 6, 27)},
        "dateFinValidite",
    ),
    (
        "exam end not before start",
        {f"{P}.dateDebutExamen": dt.date(2024, 6, 3), f"{P}.dateFinExamen": dt.date(2024, 6, 3)},
        {f"{P}.dateDebutExamen": dt.date(2024, 6, 3), f"{P}.dateFinExamen": dt.date(2024, 6, 2)},
        "dateFinExamen",
    ),
    (
        "INSEE code xor postal code",
        {f"{T}.codeInsee": None, f"{T}.codePostal": "69003"},
        {f"{T}.codePostal": "69003"},
        "codePostal",
    ),
    (
        "INSEE code format",
        {f"{T}.codeInsee": "2A004"},
        {f"{T}.codeInsee": "6912X"},
        "codeInsee",
    ),
    (
        "born abroad: country = last 3 digits of 99xxx",
        {f"{T}.codeInsee": "99350", f"{T}.codePaysNaissance": "350"},
        {f"{T}.codeInsee": "99350", f"{T}.codePaysNaissance": "351"},
        "codePaysNaissance",
    ),
    (
        "born abroad needs its country code",
        {f"{T}.codeInsee": "99350", f"{T}.codePaysNaissance": "350"},
        {f"{T}.codeInsee": "99350"},
        "codePaysNaissance",
    ),
    (
        "no country code when born in France",
        {},
        {f"{T}.codePaysNaissance": "350"},
        "codePaysNaissance",
    ),
    (
        "real calendar birth date",
        {f"{T}.moisNaissance": 2, f"{T}.jourNaissance": 29, f"{T}.anneeNaissance": 2004},
        {f"{T}.moisNaissance": 2, f"{T}.jourNaissance": 29, f"{T}.anneeNaissance": 2003},
        "jourNaissance",
    ),
    (
        "a birth day needs its month",
        {f"{T}.moisNaissance": None, f"{T}.jourNaissance": None},
        {f"{T}.moisNaissance": None},
        "jourNaissance",
    ),
    (
        "RNCP code = RNCP + digits",
        {"certification": {"type": "RNCP", "code": "RNCP1"}},
        {"certification": {"type": "RNCP", "code": "RS1234"}},
        "code",
    ),
    (
        "RS code = RS + digits",
        {"certification": {"type": "RS", "code": "RS5875"}},
        {"certification": {"type": "RS", "code": "5875"}},
        "code",
    ),
    (
        "other V22 types take a free code",
        {"certification": {"type": "Habilitation", "code": "HAB-12"}},
        {"certification": {"type": "Titre maison", "code": "X"}},
        "type",
    ),
    (
        "NIR of 13 characters without key",
        {
            f"{P}.identificationTitulaire": {
                "identifiantNational": {"nir": "2690549588157", "nomNaissance": "Martin"}
            }
        },
        {
            f"{P}.identificationTitulaire": {
                "identifiantNational": {"nir": "269054958815780", "nomNaissance": "Martin"}
            }
        },
        "nir",
    ),
    (
        "exactly one identification branch",
        {
            f"{P}.identificationTitulaire": {
                "dossierFormation": {
                    "idDossier": "123",
                    "nomTitulaire": "Martin",
                    "prenom1Titulaire": "Elodie",
                }
            }
        },
        {
            f"{P}.identificationTitulaire.dossierFormation": {
                "idDossier": "123",
                "nomTitulaire": "Martin",
                "prenom1Titulaire": "Elodie",
            }
        },
        "identificationTitulaire",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "field"), CASES, ids=[case[0] for case in CASES])
def test_rules_good_and_bad(
    rule: str, good: dict[str, Any], bad: dict[str, Any], field: str
) -> None:
    """The good case validates; the bad case is rejected at the rule's CDC field."""
    PassageRecord.model_validate(_with(good), context={"schema_version": "1.1.5"})
    assert field in _rejected_fields(_with(bad)), rule


def test_rules_identifiant_national_needs_1_1_5() -> None:
    """identifiantNational is accepted for 1.1.5 and rejected, with a reason, for 1.1.2."""
    data = _with(
        {
            f"{P}.identificationTitulaire": {
                "identifiantNational": {"nir": "2690549588157", "nomNaissance": "Martin"}
            }
        }
    )
    PassageRecord.model_validate(data, context={"schema_version": "1.1.5"})
    with pytest.raises(ValidationError, match=r"only in schema 1\.1\.5"):
        PassageRecord.model_validate(data, context={"schema_version": "1.1.2"})


def test_rules_several_violations_all_reported() -> None:
    """Several broken rules of one model are all reported, each at its field."""
    data = _with(
        {
            f"{P}.presenceNiveauLangueEuro": True,
            f"{P}.dateFinValidite": dt.date(2020, 1, 1),
            f"{P}.dateDebutExamen": dt.date(2024, 6, 3),
            f"{P}.dateFinExamen": dt.date(2024, 6, 2),
        }
    )
    assert {"niveauLangueEuropeen", "dateFinValidite", "dateFinExamen"} <= _rejected_fields(data)


def test_rules_xml_control_character_rejected() -> None:
    """A string holding a control character is rejected when the caller did not check it."""
    data = _with({f"{T}.prenom1": "Elo\x01die"})
    with pytest.raises(ValidationError, match="prenom1: contains the character U\\+0001"):
        PassageRecord.model_validate(data)


def test_rules_voie_vae_without_vae_is_accepted_but_warned() -> None:
    """voieAccessVAE without VAE passes the models (the CDC's samples do it) and check warns."""
    from builders.cdc import models, rules

    inscription = models.ModalitesInscription(
        modaliteAcces=models.ModaliteAcces.CANDIDAT_LIBRE,
        voieAccessVAE=models.VoieAccesVAE.VAE_CLASSIQUE,
    )
    assert inscription.voieAccessVAE == models.VoieAccesVAE.VAE_CLASSIQUE
    assert rules.vae_route_unexpected(inscription.modaliteAcces, inscription.voieAccessVAE)
    assert (
        rules.vae_route_unexpected(models.ModaliteAcces.VAE, models.VoieAccesVAE.CONGES_VAE) is None
    )
    assert rules.vae_route_unexpected(models.ModaliteAcces.VAE, None) is None
