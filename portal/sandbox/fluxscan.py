"""Streaming reads of a deposited flux, in constant memory.

Two passes: :func:`read_header` collects the flux-level data (idFlux, action, emitter BCR and
each certification's type and code) while discarding passages, then :func:`iter_passages`
yields each passage with the index of its certification. Two passes keep this correct whatever
the child order (every CDC complex type is ``xsd:all``, so ``type`` may follow the passages).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from portal.sandbox.receipts import CDC_NS

_NS = f"{{{CDC_NS}}}"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass
class FluxHeader:
    """Flux-level data."""

    id_flux: str | None = None
    action: str = "CREATION"
    emitter_bcr: str = ""
    certifications: list[tuple[str, str]] = field(default_factory=list)  # (type, code)


@dataclass(frozen=True)
class Passage:
    """What the replica's nirisation needs from one passage."""

    certification: int  # index into FluxHeader.certifications
    id_technique: str
    date_debut_validite: str | None
    date_fin_validite: str | None
    birth_name: str | None
    line: int


def _local(tag: object) -> str:
    return tag[len(_NS) :] if isinstance(tag, str) and tag.startswith(_NS) else str(tag)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.get(_XSI_NIL) in ("true", "1"):
        return None
    return (element.text or "").strip() or None


def _forget(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _events(path: Path, *names: str) -> etree.iterparse:
    """End events of the named CDC elements only (lxml filters the rest, which is faster)."""
    return etree.iterparse(
        str(path),
        events=("end",),
        tag=tuple(_NS + name for name in names),
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    )


def read_header(path: Path) -> FluxHeader:
    """The flux-level data of a well-formed flux.

    Raises:
        lxml.etree.XMLSyntaxError: the file is not well-formed.
    """
    header = FluxHeader()
    names = ("idFlux", "action", "idClient", "certification", "passageCertification")
    for _event, element in _events(path, *names):
        name = _local(element.tag)
        parent = element.getparent()
        parent_name = _local(parent.tag) if parent is not None else ""
        if name == "passageCertification":
            _forget(element)
        elif parent_name == "flux" and name in ("idFlux", "action"):
            value = _text(element)
            if name == "idFlux":
                header.id_flux = value
            elif value:
                header.action = value
        elif parent_name == "emetteur" and name == "idClient":
            header.emitter_bcr = _text(element) or ""
        elif name == "certification":
            type_ = _text(element.find(f"{_NS}type")) or ""
            code = _text(element.find(f"{_NS}code")) or ""
            header.certifications.append((type_, code))
            _forget(element)
    return header


def _birth_name(passage: etree._Element) -> str | None:
    ident = passage.find(f"{_NS}identificationTitulaire")
    if ident is None:
        return None
    for path in (
        f"{_NS}titulaire/{_NS}nomNaissance",
        f"{_NS}identifiantNational/{_NS}nomNaissance",
        f"{_NS}dossierFormation/{_NS}nomTitulaire",
    ):
        value = _text(ident.find(path))
        if value:
            return value
    return None


def iter_passages(path: Path) -> Iterator[Passage]:
    """Every passage of a well-formed flux, in file order.

    Raises:
        lxml.etree.XMLSyntaxError: the file is not well-formed.
    """
    finished_groups = 0  # passageCertifications already closed = index of the current one
    names = ("passageCertifications", "passageCertification", "certification")
    for _event, element in _events(path, *names):
        name = _local(element.tag)
        if name == "passageCertifications":
            finished_groups += 1
            _forget(element)
        elif name == "passageCertification":
            yield Passage(
                certification=finished_groups,
                id_technique=_text(element.find(f"{_NS}idTechnique")) or "",
                date_debut_validite=_text(element.find(f"{_NS}dateDebutValidite")),
                date_fin_validite=_text(element.find(f"{_NS}dateFinValidite")),
                birth_name=_birth_name(element),
                line=element.sourceline or 0,
            )
            _forget(element)
        elif name == "certification":
            _forget(element)
