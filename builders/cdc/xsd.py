"""Streaming XSD validation of a flux file, with exact line numbers and every error.

``xsd_errors(path, xsd)`` parses the file with ``iterparse`` and never holds more than a group
of passages: each finished ``passageCertification`` is *moved* into a small envelope document
(a minimal valid flux) and the envelope is validated every ``ENVELOPE_PASSAGES`` passages.
Moved elements keep their source line, so libxml2 reports the line in the real file. The first
passage of every ``passageCertifications`` stays in place, so once the parse ends, what is left
of the real tree (header, certifications, one passage each) is a valid-shaped skeleton that is
validated too. The XSD has no identity constraints and its containers repeat freely, so "the
skeleton and every passage are valid" is exactly "the file is valid" (an XSD with identity
constraints, which could span passages, is applied to the whole document instead:
``needs_whole_document``). Measured at ~1.0-1.7 s per 50,000 passages, flat memory; lxml's
``iterparse(schema=...)`` takes as long and reports line 0 for every error.

Files the flux writer produced are validated run by run instead (``builders.flux.validate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from builders.cdc.markup import NAMESPACE, XSI_NAMESPACE
from builders.cdc.xmlsafety import SAFE_PARSING
from builders.errors import BuildError

ENVELOPE_PASSAGES = 1000
_PASSAGE = f"{{{NAMESPACE}}}passageCertification"
_PASSAGES = f"{{{NAMESPACE}}}passageCertifications"
_ENVELOPE = (
    f'<cpf:flux xmlns:cpf="{NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}">'
    "<cpf:idFlux>envelope</cpf:idFlux><cpf:horodatage>2000-01-01T00:00:00+01:00</cpf:horodatage>"
    "<cpf:emetteur><cpf:idClient>00000000</cpf:idClient><cpf:certificateurs><cpf:certificateur>"
    "<cpf:idClient>00000000</cpf:idClient><cpf:idContrat>0</cpf:idContrat><cpf:certifications>"
    "<cpf:certification><cpf:type>RS</cpf:type><cpf:code>RS0</cpf:code>"
    "<cpf:passageCertifications/></cpf:certification></cpf:certifications></cpf:certificateur>"
    "</cpf:certificateurs></cpf:emetteur></cpf:flux>"
)


@dataclass(frozen=True)
class XsdError:
    """One schema or syntax error at a line (and column, for syntax errors) of the file."""

    line: int
    column: int
    message: str
    syntax: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def load_schema(xsd: str) -> etree.XMLSchema:
    """Compile an XSD once per process and per version of the file.

    The cache key includes the file's mtime and size, so an XSD re-imported at the same path
    (``accrochage schema import``) is compiled again by long-running processes (the
    scheduler, the replica) instead of being served stale.

    Raises:
        BuildError: the XSD cannot be parsed or compiled.
    """
    stat = Path(xsd).stat()
    return _compiled(xsd, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _compiled(xsd: str, mtime_ns: int, size: int) -> etree.XMLSchema:  # noqa: ARG001 - cache key
    try:
        return etree.XMLSchema(etree.parse(xsd))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise BuildError(f"{xsd}: not a usable XSD: {exc}") from exc


_IDENTITY = ("unique", "key", "keyref")


def needs_whole_document(xsd: str) -> bool:
    """Whether the XSD has identity constraints (unique/key/keyref), which span passages.

    The official XSDs have none; piecewise validation would miss a violation of one, so such
    an XSD is applied to the whole document (memory grows with the file in that case).
    """
    stat = Path(xsd).stat()
    return _has_identity_constraints(xsd, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _has_identity_constraints(xsd: str, mtime_ns: int, size: int) -> bool:  # noqa: ARG001 - cache key
    tree = etree.parse(xsd)
    found = tree.xpath(
        " | ".join(f"//xsd:{name}" for name in _IDENTITY),
        namespaces={"xsd": "http://www.w3.org/2001/XMLSchema"},
    )
    return bool(found)


def whole_errors(path: Path, schema: etree.XMLSchema) -> list[XsdError]:
    try:
        document = etree.parse(str(path), etree.XMLParser(huge_tree=True, **SAFE_PARSING))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        return [XsdError(line, column, str(exc.msg), syntax=True)]
    errors: list[XsdError] = []
    _collect(schema, document.getroot(), errors)
    return sorted(errors, key=lambda e: e.line)


def _collect(schema: etree.XMLSchema, doc: etree._Element, errors: list[XsdError]) -> None:
    if not schema.validate(doc):
        entries = schema.error_log.filter_from_errors()  # type: ignore[attr-defined]  # stubs lag
        errors.extend(XsdError(e.line, e.column, e.message) for e in entries)


def xsd_errors(path: Path, xsd: Path) -> list[XsdError]:
    """Every XSD error of the flux at ``path`` (or its first syntax error), sorted by line.

    Raises:
        BuildError: the XSD is unusable.
    """
    schema = load_schema(str(xsd))
    if needs_whole_document(str(xsd)):
        return whole_errors(path, schema)
    envelope = etree.fromstring(_ENVELOPE)
    box = envelope.find(f".//{_PASSAGES}")
    assert box is not None  # noqa: S101 - the constant envelope has one
    errors: list[XsdError] = []
    pending = 0
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag=_PASSAGE,
        remove_blank_text=True,
        huge_tree=True,
        **SAFE_PARSING,
    )
    try:
        for _, element in events:
            parent = element.getparent()
            if parent is None or parent.tag != _PASSAGES or element.getprevious() is None:
                continue  # stays in the skeleton
            box.append(element)  # moves it out of the real tree
            pending += 1
            if pending >= ENVELOPE_PASSAGES:
                _collect(schema, envelope, errors)
                box.clear()
                pending = 0
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        errors.append(XsdError(line, column, str(exc.msg), syntax=True))
        return sorted(errors, key=lambda e: e.line)
    if pending:
        _collect(schema, envelope, errors)
    _collect(schema, events.root, errors)
    return sorted(errors, key=lambda e: e.line)
