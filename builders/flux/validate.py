"""XSD validation of the files the flux writer produced, run by run, and its worker loop.

Files the writer produced come with their ``Layout`` and are validated run by run
(``layout_errors``, 10-40 % cheaper in our measurements than ``builders.cdc.xsd.xsd_errors``,
which validates any flux file). ``answer`` is the task the validation pool of
``builders.flux.workers.FileValidator`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lxml import etree

from builders.cdc.markup import CERTIFICATION_CLOSE, FILE_TAIL
from builders.cdc.xmlsafety import SAFE_PARSING
from builders.cdc.xsd import (
    XsdError,
    load_schema,
    needs_whole_document,
    whole_errors,
    xsd_errors,
)
from builders.errors import BuildError
from builders.flux.layout import Chunk, Layout

if TYPE_CHECKING:  # the worker processes start without the models (pydantic)
    from builders.flux.splitter import BuiltFile

#: At most this many errors per file come back from a worker.
MAX_REPORTED = 1000


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

    # collect_ids=False: no table of the document's ids is built while parsing (the XSD
    # checks xs:ID values by itself); about 12 % off each run's parse and validation.
    parser = etree.XMLParser(
        remove_blank_text=True, huge_tree=True, collect_ids=False, **SAFE_PARSING
    )
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
        return whole_errors(path, schema)
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


def answer(xsd: str, request: dict[str, Any]) -> list[XsdError]:
    """One task of the validation pool (``builders.flux.workers``): at most ``MAX_REPORTED``
    errors.

    A request is either a whole file (``path``, optional ``layout``) or one run of a file
    being written (``path``, ``head_end``, ``head_lines``, ``chunk``).
    """
    path = Path(request["path"])
    if "chunk" in request:
        chunk = Chunk(**request["chunk"])
        errors = chunk_errors(path, Path(xsd), request["head_end"], request["head_lines"], chunk)
    else:
        layout = Layout.from_json(request["layout"]) if request.get("layout") else None
        errors = file_errors(path, Path(xsd), layout)
    return errors[:MAX_REPORTED]
