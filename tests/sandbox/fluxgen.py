"""Small CDC flux files for the replica's tests (valid against the official XSD 1.1.5)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

NS = "urn:cdc:cpf:pc5:schema:1.0.0"
BCR = "12ABC345"


@dataclass(frozen=True)
class P:
    """One passage to generate."""

    id_technique: str
    birth_name: str = "Martin"
    start: str = "2026-06-30"
    end: str | None = None
    sexe: str = "F"


def passage_xml(p: P) -> str:
    """One ``passageCertification`` element."""
    end = (
        f"<cpf:dateFinValidite>{p.end}</cpf:dateFinValidite>"
        if p.end
        else '<cpf:dateFinValidite xsi:nil="true"/>'
    )
    return (
        "<cpf:passageCertification>"
        f"<cpf:idTechnique>{escape(p.id_technique)}</cpf:idTechnique>"
        "<cpf:obtentionCertification>PAR_ADMISSION</cpf:obtentionCertification>"
        "<cpf:donneeCertifiee>true</cpf:donneeCertifiee>"
        f"<cpf:dateDebutValidite>{p.start}</cpf:dateDebutValidite>{end}"
        "<cpf:presenceNiveauLangueEuro>false</cpf:presenceNiveauLangueEuro>"
        "<cpf:presenceNiveauNumeriqueEuro>false</cpf:presenceNiveauNumeriqueEuro>"
        '<cpf:scoring xsi:nil="true"/><cpf:mentionValidee xsi:nil="true"/>'
        '<cpf:modalitesInscription><cpf:modaliteAcces xsi:nil="true"/></cpf:modalitesInscription>'
        "<cpf:identificationTitulaire><cpf:titulaire>"
        f"<cpf:nomNaissance>{escape(p.birth_name)}</cpf:nomNaissance>"
        '<cpf:nomUsage xsi:nil="true"/><cpf:prenom1>Claire</cpf:prenom1>'
        "<cpf:anneeNaissance>1990</cpf:anneeNaissance><cpf:moisNaissance>04</cpf:moisNaissance>"
        f"<cpf:jourNaissance>12</cpf:jourNaissance><cpf:sexe>{p.sexe}</cpf:sexe>"
        "<cpf:codeCommuneNaissance><cpf:codeInseeNaissance><cpf:codeInsee>75056</cpf:codeInsee>"
        "</cpf:codeInseeNaissance></cpf:codeCommuneNaissance>"
        "</cpf:titulaire></cpf:identificationTitulaire>"
        "</cpf:passageCertification>\n"
    )


def write_flux(
    path: Path,
    passages: list[P],
    *,
    type_: str = "RNCP",
    code: str = "RNCP34827",
    id_flux: str = "flux-0001",
    action: str | None = None,
    bcr: str = BCR,
) -> Path:
    """Write a flux with one certification holding ``passages``."""
    action_xml = f"<cpf:action>{action}</cpf:action>" if action else ""
    body = "".join(passage_xml(p) for p in passages)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<cpf:flux xmlns:cpf="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"<cpf:idFlux>{id_flux}</cpf:idFlux>"
        f"<cpf:horodatage>2026-11-26T10:00:00+01:00</cpf:horodatage>{action_xml}"
        f"<cpf:emetteur><cpf:idClient>{bcr}</cpf:idClient><cpf:certificateurs>"
        f"<cpf:certificateur><cpf:idClient>{bcr}</cpf:idClient>"
        "<cpf:idContrat>MCFCER000123</cpf:idContrat><cpf:certifications><cpf:certification>"
        f"<cpf:type>{escape(type_)}</cpf:type><cpf:code>{escape(code)}</cpf:code>"
        f"<cpf:passageCertifications>\n{body}</cpf:passageCertifications>"
        "</cpf:certification></cpf:certifications></cpf:certificateur></cpf:certificateurs>"
        "</cpf:emetteur></cpf:flux>\n",
        encoding="utf-8",
    )
    return path
