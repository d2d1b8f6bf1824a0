"""Read a flux file back, streaming, into its header and one ``FluxPassage`` per passage.

Usage::

    header, passages = iter_flux(path)
    for passage in passages:          # FluxPassage, in document order
        passage.line, passage.id_technique, passage.certification_code
        passage.record                # PassageRecord (CREATION) / SuppressionRecord, or None
        passage.problems              # built-in rule violations, each with field and line

A passage that breaks the project's rules still yields its ``idTechnique``, line,
certification and raw ``data`` (a dict shaped like the models), with ``record`` None. The file
is read twice with ``iterparse`` and cleared as it goes, so memory stays flat: the first pass
collects the header and the certification of every ``certification`` element (the XSD's
``xsd:all`` lets those children come in any order, even after the passages), the second yields
the passages.

Raises ``lxml.etree.XMLSyntaxError`` when the file is not well-formed (``check`` reports it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import ValidationError

from builders.cdc import fields
from builders.cdc.markup import NAMESPACE, XSI_NAMESPACE
from builders.cdc.models import PassageRecord, SuppressionExtras, SuppressionRecord
from builders.cdc.xmlsafety import SAFE_PARSING

_NIL = f"{{{XSI_NAMESPACE}}}nil"
_PASSAGE = f"{{{NAMESPACE}}}passageCertification"
_CERTIFICATION = f"{{{NAMESPACE}}}certification"
_FLUX = f"{{{NAMESPACE}}}flux"
_SCOPES = ("declaration", "certification")
#: What a SUPPRESSION passage needs; anything else it carries is checked as SuppressionExtras.
SUPPRESSION_KEYS = ("idTechnique", "identificationTitulaire")


@dataclass(frozen=True)
class FluxHeader:
    """The flux-level values (None when absent)."""

    id_flux: str | None
    horodatage: str | None
    action: str | None  # None = absent (the XSD default is CREATION)
    id_client_emetteur: str | None
    id_client_certificateur: str | None
    id_contrat: str | None
    line: int = 1

    @property
    def is_suppression(self) -> bool:
        return self.action == "SUPPRESSION"


@dataclass(frozen=True)
class Problem:
    """One built-in rule violated by a passage (``scope`` says which part of the record)."""

    field: str
    message: str
    value: str
    line: int
    scope: str = "passage"
    #: "warning" for a business rule in a SUPPRESSION: the CDC's XSD accepts the file and a
    #: deletion only needs to name the passage, so such findings do not block it.
    severity: str = "error"


@dataclass(frozen=True)
class FluxPassage:
    """One ``passageCertification`` as read from the file."""

    line: int
    id_technique: str | None
    certification_type: str | None
    certification_code: str | None
    nature_deposant: str | None
    data: dict[str, Any]
    record: PassageRecord | SuppressionRecord | None
    problems: tuple[Problem, ...] = field(default=())

    def holder(self) -> dict[str, Any]:
        """The raw holder branch: ``{"titulaire": {...}}`` or another single branch."""
        ident = self.data.get("identificationTitulaire")
        return ident if isinstance(ident, dict) else {}


def local(tag: object) -> str:
    """Local name of an lxml tag (``{ns}name`` -> ``name``); comments and PIs give ''."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def line_of(element: etree._Element) -> int:
    """The element's source line (0 when unknown)."""
    value = element.sourceline
    return value if isinstance(value, int) else 0


def _is_nil(element: etree._Element) -> bool:
    return element.get(_NIL) in ("true", "1")


def _scalar(element: etree._Element) -> str | None:
    return None if _is_nil(element) else (element.text or "")


def _children(element: etree._Element, lines: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        name = local(child.tag)
        if not name:
            continue
        lines.setdefault(name, line_of(child))
        result[name] = _convert(name, child, lines)
    return result


#: Structure from the field table: list elements, and elements holding a block of fields.
_LISTS = fields.structure("list")
_BLOCKS = (
    fields.structure("block")
    | fields.structure("branches")
    | frozenset(fields.BRANCHES)
    | frozenset(fields.item_block(name) for name in _LISTS)
)
#: The birth commune choice wrapping the ``commune`` rows (one ``<name>Naissance`` branch).
_COMMUNE = "codeCommuneNaissance"


def _convert(name: str, element: etree._Element, lines: dict[str, int]) -> Any:
    if name in _LISTS:
        return [_children(child, lines) for child in element if local(child.tag)]
    if name == _COMMUNE:
        branch = next((child for child in element if local(child.tag)), None)
        return _children(branch, lines) if branch is not None else {}
    if name in _BLOCKS:
        return {} if _is_nil(element) else _children(element, lines)
    return _scalar(element)


def passage_data(element: etree._Element) -> tuple[dict[str, Any], dict[str, int]]:
    """A passageCertification element as a model-shaped dict, and each field's line."""
    lines: dict[str, int] = {}
    data = _children(element, lines)
    ident = data.get("identificationTitulaire")
    titulaire = ident.get("titulaire") if isinstance(ident, dict) else None
    if isinstance(titulaire, dict) and isinstance(titulaire.get("codeCommuneNaissance"), dict):
        titulaire.update(titulaire.pop(_COMMUNE))
    return data, lines


def _problems(
    error: ValidationError,
    lines: dict[str, int],
    default_line: int,
    header: FluxHeader,
) -> tuple[Problem, ...]:
    header_line = header.line
    found = []
    for item in error.errors():
        names = [part for part in item["loc"] if isinstance(part, str)]
        scope = names[0] if names and names[0] in _SCOPES else "passage"
        name = names[-1] if names else "passageCertification"
        if name == "passage":
            name = "passageCertification"
        value = item.get("input")
        shown = "" if isinstance(value, dict | list) or value is None else str(value)
        line = header_line if scope == "declaration" else lines.get(name, default_line)
        lenient = header.is_suppression and item["type"] == "cdc_rule"
        severity = "warning" if lenient else "error"
        found.append(Problem(name, item["msg"], shown, line, scope, severity))
    return tuple(found)


def _header(path: Path) -> tuple[FluxHeader, list[dict[str, str | None]]]:
    certifications: list[dict[str, str | None]] = []
    header = FluxHeader(None, None, None, None, None, None)
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag=(_PASSAGE, _CERTIFICATION, _FLUX),
        huge_tree=True,
        **SAFE_PARSING,
    )
    for _, element in events:
        if element.tag == _PASSAGE:
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        elif element.tag == _CERTIFICATION:
            values = {local(c.tag): _scalar(c) for c in element if local(c.tag)}
            certifications.append({k: values.get(k) for k in ("type", "code", "natureDeposant")})
            element.clear()
        else:
            header = _read_header(element)
    return header, certifications


def _find_text(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = element.find(f"{{{NAMESPACE}}}{name}")
    return None if child is None else _scalar(child)


def _read_header(root: etree._Element) -> FluxHeader:
    emetteur = root.find(f"{{{NAMESPACE}}}emetteur")
    certificateur = root.find(f".//{{{NAMESPACE}}}certificateur")
    return FluxHeader(
        id_flux=_find_text(root, "idFlux"),
        horodatage=_find_text(root, "horodatage"),
        action=_find_text(root, "action"),
        id_client_emetteur=_find_text(emetteur, "idClient"),
        id_client_certificateur=_find_text(certificateur, "idClient"),
        id_contrat=_find_text(certificateur, "idContrat"),
        line=line_of(root) or 1,
    )


def _record(
    header: FluxHeader, cert: dict[str, str | None], data: dict[str, Any]
) -> dict[str, Any]:
    declaration = {
        "idClientEmetteur": header.id_client_emetteur or "",
        "idClientCertificateur": header.id_client_certificateur or "",
        "idContrat": header.id_contrat or "",
    }
    certification = {k: v for k, v in cert.items() if v is not None}
    if header.is_suppression:
        named = {k: data[k] for k in SUPPRESSION_KEYS if k in data}
        return {"declaration": declaration, "certification": certification, **named}
    return {"declaration": declaration, "certification": certification, "passage": data}


def _extra_problems(
    data: dict[str, Any], lines: dict[str, int], line: int, header: FluxHeader
) -> tuple[Problem, ...]:
    """XSD facets of the CREATION fields a SUPPRESSION passage may also carry."""
    extras = {k: v for k, v in data.items() if k not in SUPPRESSION_KEYS}
    if not extras:
        return ()
    try:
        SuppressionExtras.model_validate(extras)
    except ValidationError as exc:
        return _problems(exc, lines, line, header)
    return ()


def _passages(
    path: Path, header: FluxHeader, certifications: list[dict[str, str | None]]
) -> Iterator[FluxPassage]:
    index = -1
    events = etree.iterparse(
        str(path),
        events=("start", "end"),
        tag=(_PASSAGE, _CERTIFICATION),
        huge_tree=True,
        **SAFE_PARSING,
    )
    model = SuppressionRecord if header.is_suppression else PassageRecord
    for event, element in events:
        if element.tag == _CERTIFICATION:
            if event == "start":
                index += 1
            else:
                element.clear()
            continue
        if event == "start":
            continue
        cert = certifications[index] if 0 <= index < len(certifications) else {}
        data, lines = passage_data(element)
        line = line_of(element)
        record: PassageRecord | SuppressionRecord | None = None
        problems: tuple[Problem, ...] = ()
        try:
            record = model.model_validate(_record(header, cert, data))
        except ValidationError as exc:
            problems = _problems(exc, lines, line, header)
        if header.is_suppression:
            problems += _extra_problems(data, lines, line, header)
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]
        id_technique = data.get("idTechnique")
        yield FluxPassage(
            line=line,
            id_technique=id_technique if isinstance(id_technique, str) else None,
            certification_type=cert.get("type"),
            certification_code=cert.get("code"),
            nature_deposant=cert.get("natureDeposant"),
            data=data,
            record=record,
            problems=problems,
        )


def iter_flux(path: Path) -> tuple[FluxHeader, Iterator[FluxPassage]]:
    """The header of the flux at ``path`` and a lazy iterator over its passages.

    Raises:
        lxml.etree.XMLSyntaxError: the file is not well-formed (first pass).
    """
    header, certifications = _header(path)
    return header, _passages(path, header, certifications)
