"""The fixed markup of a flux file: namespaces, escaping, header, certification and tail.

Kept apart from ``builders.cdc.render`` (which renders validated records and so needs the pydantic
models) so that the XSD validation worker processes start without importing pydantic.
"""

from __future__ import annotations

NAMESPACE = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"


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
