"""The replica's accusé de réception: its check and its format.

No sample, schema or description of the real CDC accusé de réception is public
(cdc-format.md §7.1, portal.md §2): only that it says OK or KO for the file as a whole. The
format below is **the replica's own**, kept small and stable::

    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <accuseReception>
        <!-- Format propre à la réplique locale ... -->
        <nomFichier>lot-2026-11.xml</nomFichier>     name as uploaded
        <tailleOctets>12437</tailleOctets>           size in bytes
        <dateReception>2026-11-26T15:16:02+01:00</dateReception>
        <resultat>OK</resultat>                      OK or KO
        <idFlux>dbef0895-...</idFlux>                when readable
        <motif>...</motif>                           KO only: why
        <ligne>1</ligne><colonne>18</colonne>        KO only, when the parser located it
    </accuseReception>

A file is OK when it is well-formed XML without a DOCTYPE whose root element is ``flux`` in the
CDC namespace ``urn:cdc:cpf:pc5:schema:1.0.0``. Anything else is KO and the deposit is
"Rejeté". Agents must not parse this document: the OK/KO outcome is the history's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

CDC_NS = "urn:cdc:cpf:pc5:schema:1.0.0"
FLUX_TAG = f"{{{CDC_NS}}}flux"
ID_FLUX_TAG = f"{{{CDC_NS}}}idFlux"
PASSAGE_TAG = f"{{{CDC_NS}}}passageCertification"
_NOTE = (
    " Format propre à la réplique locale (accrochage sandbox) : aucun exemple public de "
    "l'accusé de réception de la CDC n'existe. "
)


@dataclass(frozen=True)
class ReceiptCheck:
    """Outcome of reading a deposited file as a whole."""

    ok: bool
    id_flux: str | None = None
    reason: str | None = None
    line: int | None = None
    column: int | None = None


def check_file(path: Path) -> ReceiptCheck:
    """Read a deposited file with a streaming parser (constant memory).

    Only the root, ``idFlux`` and passage elements reach Python (lxml filters the rest), and
    each passage is freed once parsed.

    Args:
        path: The stored file.

    Returns:
        OK with the idFlux when the file is a well-formed CDC flux, else KO with the reason.
    """
    if path.stat().st_size == 0:
        return ReceiptCheck(ok=False, reason="Le fichier est vide.")
    id_flux: str | None = None
    first = True
    events = etree.iterparse(
        str(path),
        events=("start", "end"),
        tag=(FLUX_TAG, ID_FLUX_TAG, PASSAGE_TAG),
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        load_dtd=False,
    )
    try:
        for event, element in events:
            if first:
                first = False
                refused = _refuse_root(element.getroottree())
                if refused is not None:
                    return refused
            if event == "start":
                continue
            if element.tag == ID_FLUX_TAG and id_flux is None:
                id_flux = (element.text or "").strip() or None
            elif element.tag == PASSAGE_TAG:
                _forget(element)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        return ReceiptCheck(
            ok=False, reason=f"Fichier XML mal formé : {exc.msg}", line=line, column=column
        )
    if first:  # no element of interest at all: the root is something else
        refused = _refuse_root(events.root.getroottree())
        if refused is not None:
            return refused
    return ReceiptCheck(ok=True, id_flux=id_flux)


def _refuse_root(tree: etree._ElementTree) -> ReceiptCheck | None:
    """KO when the document has a DOCTYPE or its root is not ``cpf:flux``."""
    doctype: str = getattr(tree.docinfo, "doctype", "")  # missing from lxml-stubs
    if doctype:
        # Entities could pull other files into later stages' messages.
        return ReceiptCheck(ok=False, reason="Déclaration DOCTYPE non autorisée.")
    root = tree.getroot()
    if root.tag != FLUX_TAG:
        return ReceiptCheck(
            ok=False,
            reason=(
                f"L'élément racine {root.tag} n'est pas un flux CDC "
                f"(attendu : cpf:flux dans l'espace de noms {CDC_NS})."
            ),
            line=root.sourceline if isinstance(root.sourceline, int) else None,
        )
    return None


def _forget(element: etree._Element) -> None:
    """Free a finished element and its finished previous siblings (constant memory)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def receipt_xml(check: ReceiptCheck, *, file_name: str, size: int, received_at: datetime) -> bytes:
    """Render the accusé de réception of one deposit.

    Args:
        check: The outcome of :func:`check_file`.
        file_name: The name as uploaded.
        size: The size in bytes.
        received_at: When the file was received (timezone-aware).

    Returns:
        The document, UTF-8 with its XML declaration.
    """
    root = etree.Element("accuseReception")
    root.append(etree.Comment(_NOTE))
    for tag, value in (
        ("nomFichier", file_name),
        ("tailleOctets", str(size)),
        ("dateReception", received_at.isoformat(timespec="seconds")),
        ("resultat", "OK" if check.ok else "KO"),
        ("idFlux", check.id_flux),
        ("motif", check.reason),
        ("ligne", None if check.line is None else str(check.line)),
        ("colonne", None if check.column is None else str(check.column)),
    ):
        if value is not None:
            etree.SubElement(root, tag).text = value
    etree.indent(root, space="    ")
    body: bytes = etree.tostring(root, encoding="UTF-8")
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + b"\n"
