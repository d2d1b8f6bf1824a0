"""Streaming XSD validation of flux files, with exact line numbers and every error.

``xsd_errors(path, xsd)`` parses the file with ``iterparse`` and never holds more than a
batch of passages: each finished ``passageCertification`` is *moved* into a small envelope
document (a minimal valid flux) and the envelope is validated every ``BATCH`` passages. Moved
elements keep their source line, so libxml2 reports the line in the real file. The first
passage of every ``passageCertifications`` stays in place, so once the parse ends, what is
left of the real tree (header, certifications, one passage each) is a valid-shaped skeleton
that is validated too. The XSD has no identity constraints and its containers repeat freely,
so "the skeleton and every passage are valid" is exactly "the file is valid" (an XSD with
identity constraints, which could span passages, is applied to the whole document instead:
``needs_whole_document``). Measured at ~1.0-1.7 s per 50,000 passages, flat memory; lxml's
``iterparse(schema=...)`` takes as long and reports line 0 for every error.

Files the batch writer produced come with their ``Layout`` and are validated run by run
instead (``layout_errors``, 10-40 % cheaper in our measurements).
``serve`` is the loop of the worker processes of ``builders.workers.FileValidator`` (forked,
or ``python -m builders.validate XSD``).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from lxml import etree

from builders.errors import BuildError
from builders.layout import Chunk, Layout
from builders.markup import CERTIFICATION_CLOSE, FILE_TAIL, NAMESPACE, XSI_NAMESPACE
from builders.xmlsafety import SAFE_PARSING

if TYPE_CHECKING:  # the worker processes start without the models (pydantic)
    from builders.batching import BuiltFile

BATCH = 1000
#: At most this many errors per file come back from a worker.
MAX_REPORTED = 1000
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


def _whole_errors(path: Path, schema: etree.XMLSchema) -> list[XsdError]:
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
        return _whole_errors(path, schema)
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
            if pending >= BATCH:
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


@dataclass(frozen=True)
class FileFailure:
    """A built file the imported XSD rejected; it was moved aside to ``moved_to``."""

    name: str
    moved_to: Path
    errors: tuple[XsdError, ...]

    def describe(self, limit: int = 20) -> str:
        """Human summary: file name then the first ``limit`` errors with their lines."""
        lines = [f"{self.name} fails the imported XSD (moved aside to {self.moved_to.name}):"]
        lines += [f"  {error}" for error in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


class FluxValidationError(BuildError):
    """Some built files failed the imported XSD; ``built`` lists the files that passed."""

    def __init__(self, failures: list[FileFailure], built: list[BuiltFile]) -> None:
        super().__init__("\n".join(failure.describe() for failure in failures))
        self.failures = failures
        self.built = built


def _tiles(handle: BinaryIO, size: int, layout: Layout) -> bool:
    """Whether header, runs and closing tags cover the file exactly, in order."""
    chunks = layout.chunks
    if not chunks or chunks[0].cert_start != layout.head_end:
        return False
    previous: Chunk | None = None
    for chunk in chunks:
        if previous is not None and chunk.cert_start == previous.cert_start:
            if chunk.body_start != previous.body_end:
                return False
        else:
            if chunk.cert_end != chunk.body_start:
                return False
            if previous is not None:
                handle.seek(previous.body_end)
                gap = handle.read(chunk.cert_start - previous.body_end)
                if gap != CERTIFICATION_CLOSE:
                    return False
        previous = chunk
    handle.seek(chunks[-1].body_end)
    return handle.read(size) == CERTIFICATION_CLOSE + FILE_TAIL


def _read(handle: BinaryIO, start: int, end: int) -> bytes:
    handle.seek(start)
    return handle.read(end - start)


def chunk_errors(
    path: Path, xsd: Path, head_end: int, head_lines: int, chunk: Chunk
) -> list[XsdError]:
    """XSD errors of one run of a file being written (lines are the file's own).

    The run is validated as a document made of the file's header, the run's certification
    opening, the run itself and the closing tags. ``tiles`` must hold once the file is complete
    for the runs to cover the whole file.
    """
    schema = load_schema(str(xsd))
    with path.open("rb") as handle:
        head = _read(handle, 0, head_end)
        cert = _read(handle, chunk.cert_start, chunk.cert_end)
        body = _read(handle, chunk.body_start, chunk.body_end)
    cert_lines = cert.count(b"\n")

    def real(line: int) -> int:
        if line <= head_lines:
            return line
        if line <= head_lines + cert_lines:
            return chunk.cert_line + line - head_lines - 1
        return chunk.body_line + line - head_lines - cert_lines - 1

    parser = etree.XMLParser(remove_blank_text=True, huge_tree=True, **SAFE_PARSING)
    try:
        document = etree.fromstring(head + cert + body + CERTIFICATION_CLOSE + FILE_TAIL, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        return [XsdError(real(line), column, str(exc.msg), syntax=True)]
    if schema.validate(document):
        return []
    entries = schema.error_log.filter_from_errors()  # type: ignore[attr-defined]
    return [XsdError(real(e.line), e.column, e.message) for e in entries]


def tiles(path: Path, layout: Layout) -> bool:
    """Whether the header, the runs and the closing tags of ``layout`` cover ``path`` exactly."""
    with path.open("rb") as handle:
        return _tiles(handle, path.stat().st_size, layout)


def merge(errors: list[XsdError]) -> list[XsdError]:
    """Errors sorted by line, each once (the header is part of every run)."""
    return sorted(dict.fromkeys(errors), key=lambda e: e.line)


def layout_errors(path: Path, xsd: Path, layout: Layout) -> list[XsdError] | None:
    """Every XSD error of a file the writer described with ``layout``, run by run.

    Returns None when the layout does not tile the file (then use ``xsd_errors``).
    """
    schema = load_schema(str(xsd))
    if needs_whole_document(str(xsd)):
        return _whole_errors(path, schema)
    if not tiles(path, layout):
        return None
    errors: list[XsdError] = []
    for chunk in layout.chunks:
        found = chunk_errors(path, xsd, layout.head_end, layout.head_lines, chunk)
        errors += found
        if found and found[0].syntax:
            break
    return merge(errors)


def file_errors(path: Path, xsd: Path, layout: Layout | None = None) -> list[XsdError]:
    """XSD errors of ``path``: by runs when the writer's ``layout`` matches, else streaming."""
    if layout is not None:
        found = layout_errors(path, xsd, layout)
        if found is not None:
            return found
    return xsd_errors(path, xsd)


def serve(xsd: Path, requests: TextIO, answers: TextIO) -> None:
    """Worker loop: one JSON request per line of ``requests``, one JSON answer line (errors).

    A request is either a whole file (``path``, optional ``layout``) or one run of a file
    being written (``path``, ``head_end``, ``head_lines``, ``chunk``).
    """
    for line in requests:
        request = json.loads(line)
        path = Path(request["path"])
        if "chunk" in request:
            chunk = Chunk(**request["chunk"])
            errors = chunk_errors(path, xsd, request["head_end"], request["head_lines"], chunk)
        else:
            layout = Layout.from_json(request["layout"]) if request.get("layout") else None
            errors = file_errors(path, xsd, layout)
        errors = errors[:MAX_REPORTED]
        answers.write(json.dumps([list(astuple(e)) for e in errors]) + "\n")
        answers.flush()


def serve_fds(xsd: Path, requests: int, answers: int) -> None:
    """``serve`` on two pipe file descriptors (a forked worker)."""
    with os.fdopen(requests, "r") as request_stream, os.fdopen(answers, "w") as answer_stream:
        serve(xsd, request_stream, answer_stream)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.stdin, sys.stdout)
