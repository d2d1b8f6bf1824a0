"""Parse the CDC's accusé de traitement (processing report), safely and by local names.

Shapes accepted (cdc-format.md §7.2): a processed file (``PassagesKO/passage{idTechnique,
messageErreur}`` and ``PassagesOK/idTechnique``, any capitalisation, sections missing, empty or
with a single child), a rejected file (``erreurs/erreur{type,message,ligne,colonne}``), and a
report with neither. ``idTraitement`` is read from the older ``idDemande`` too. The root carries
an unused ``ns2`` namespace, so every element is matched by its local name, case-insensitively.

Hostile input is refused with :class:`ReportRefused` before anything is expanded: any DOCTYPE
(hence any entity definition), non-XML, a root other than ``rapport``, more than ``max_bytes``,
nesting deeper than a report ever needs. lxml never loads a DTD nor touches the network here.
The file is streamed with ``iterparse``; each passage is dropped from the tree once read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from builders.cdc.messages import KoClass, classify, hint
from builders.errors import BuildError

log = logging.getLogger(__name__)

MAX_DEPTH = 16  # a report is 4 levels deep (rapport/PassagesKO/passage/idTechnique)
_SECTIONS = frozenset({"passagesko", "passagesok", "erreurs"})
_HEADER = {"nomfichier": "nom_fichier", "idflux": "id_flux", "idtraitement": "id_traitement"}


class ReportRefused(BuildError):
    """The file is not a report this parser can trust (not XML, hostile, wrong shape)."""

    @property
    def message(self) -> str:
        """The reason, as the portal errors carry theirs (``PortalError.message``)."""
        return str(self)


@dataclass(frozen=True)
class PassageOutcome:
    """What the CDC did with one passage; ``klass``/``hint`` are set for KO only."""

    id_technique: str
    ok: bool
    message: str | None = None
    klass: KoClass | None = None
    hint: str | None = None


@dataclass(frozen=True)
class FileError:
    """A file-level error: the whole deposited file was refused (usually ``type`` XSD)."""

    type: str
    message: str
    line: int | None
    column: int | None


@dataclass(frozen=True)
class ProcessingReport:
    """One accusé de traitement; ``passages`` keep the report's order (KO first, usually)."""

    nom_fichier: str | None
    id_flux: str | None
    id_traitement: str | None
    passages: tuple[PassageOutcome, ...] = field(default=())
    errors: tuple[FileError, ...] = field(default=())

    @property
    def file_rejected(self) -> bool:
        """True when the CDC refused the whole file (file-level errors present)."""
        return bool(self.errors)

    @property
    def ok_ids(self) -> tuple[str, ...]:
        """The idTechnique of every accepted passage."""
        return tuple(p.id_technique for p in self.passages if p.ok)

    @property
    def ko(self) -> tuple[PassageOutcome, ...]:
        """Every refused passage."""
        return tuple(p for p in self.passages if not p.ok)


def parse_report(source: Path | bytes, *, max_bytes: int = 50_000_000) -> ProcessingReport:
    """Parse an accusé de traitement.

    Args:
        source: The report file, or its bytes.
        max_bytes: Larger input is refused unread.

    Returns:
        The parsed report.

    Raises:
        ReportRefused: The input is unreadable, too large, not XML, hostile or not a report.
    """
    label = str(source) if isinstance(source, Path) else "report"
    # libxml2's error log is per thread and outlives a parse: clear it so the errors read
    # in _where belong to this report, not to whatever this thread parsed before.
    etree.clear_error_log()
    try:
        with _open(source, label, max_bytes) as stream:
            return _parse_stream(stream, label)
    except etree.XMLSyntaxError as exc:
        raise ReportRefused(f"{label}: not well-formed XML {_where(exc)}") from exc
    except OSError as exc:
        raise ReportRefused(f"{label}: cannot read the report: {exc.strerror or exc}") from exc


def _where(exc: etree.XMLSyntaxError) -> str:
    """Position and text of the first fatal libxml2 error (the exception's own can be vaguer)."""
    error_log: Any = exc.error_log  # lxml-stubs declare _ErrorLog without its methods
    fatals = error_log.filter_from_fatals()
    if len(fatals):
        first = fatals[0]
        return f"(line {first.line}, column {first.column}): {first.message}"
    line, column = exc.position
    return f"(line {line}, column {column}): {exc.msg}"


def _open(source: Path | bytes, label: str, max_bytes: int) -> IO[bytes]:
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > max_bytes:
        raise ReportRefused(f"{label}: {size} bytes, over the {max_bytes}-byte limit for a report")
    if size == 0:
        raise ReportRefused(f"{label}: empty file, not an XML report")
    stream = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    head = stream.read(1024).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head and not head.startswith(b"<"):
        stream.close()
        raise ReportRefused(f"{label}: not an XML document (it does not start with '<')")
    stream.seek(0)
    return stream


def _parse_stream(stream: IO[bytes], label: str) -> ProcessingReport:
    header: dict[str, str | None] = dict.fromkeys(_HEADER.values())
    id_demande: str | None = None
    passages: list[PassageOutcome] = []
    errors: list[FileError] = []
    for path, elem in _walk(stream, label):
        parent = path[-2] if len(path) > 1 else ""
        name = path[-1]
        if len(path) == 2 and name in _HEADER:
            header[_HEADER[name]] = _text(elem)
        elif len(path) == 2 and name == "iddemande":
            id_demande = _text(elem)
        elif name == "passage" and parent == "passagesko":
            passages.append(_ko_passage(elem, label))
        elif name == "idtechnique" and parent == "passagesok":
            passages.append(PassageOutcome(_required(elem, label), ok=True))
        elif name == "erreur" and parent == "erreurs":
            errors.append(_file_error(elem))
        elif (len(path) == 2 and name not in _SECTIONS) or parent in _SECTIONS:
            log.warning("%s: line %s: unexpected <%s> ignored", label, elem.sourceline, name)
        else:
            continue
        _drop(elem)
    return ProcessingReport(
        nom_fichier=header["nom_fichier"],
        id_flux=header["id_flux"],
        id_traitement=header["id_traitement"] or id_demande,
        passages=tuple(passages),
        errors=tuple(errors),
    )


def _walk(stream: IO[bytes], label: str) -> Iterator[tuple[list[str], Any]]:
    """Yield (path of folded local names, element) at each element's end, after safety checks."""
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    path: list[str] = []
    for event, elem in events:
        if event == "end":
            yield path, elem
            path.pop()
            continue
        if not path:
            _check_root(elem, label)
        path.append(_local(elem).casefold())
        if len(path) > MAX_DEPTH:
            raise ReportRefused(f"{label}: elements nested deeper than {MAX_DEPTH} levels")


def _check_root(root: Any, label: str) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ReportRefused(f"{label}: a report never has a DOCTYPE; refused (possible XML attack)")
    local = _local(root)
    if local != "rapport":
        raise ReportRefused(f"{label}: root element is <{local}>, not <rapport>: not a report")


def _ko_passage(elem: Any, label: str) -> PassageOutcome:
    message = _child_text(elem, "messageerreur")
    klass = classify(message)
    return PassageOutcome(
        id_technique=_required(elem, label, "idtechnique"),
        ok=False,
        message=message,
        klass=klass,
        hint=hint(klass),
    )


def _file_error(elem: Any) -> FileError:
    return FileError(
        type=_child_text(elem, "type") or "",
        message=_child_text(elem, "message") or "",
        line=_int(_child_text(elem, "ligne")),
        column=_int(_child_text(elem, "colonne")),
    )


def _required(elem: Any, label: str, child: str | None = None) -> str:
    value = _text(elem) if child is None else _child_text(elem, child)
    if not value:
        raise ReportRefused(
            f"{label}: line {elem.sourceline}: <{_local(elem)}> without an "
            "idTechnique; the report cannot be reconciled"
        )
    return value


def _child_text(elem: Any, name: str) -> str | None:
    for child in elem.iterchildren(tag=etree.Element):
        if _local(child).casefold() == name:
            return _text(child)
    return None


def _text(elem: Any) -> str | None:
    text = "".join(elem.itertext()).strip()
    return text or None


def _int(value: str | None) -> int | None:
    # isdecimal, not isdigit: int() refuses digits such as '²' (found by the fuzz test).
    return int(value) if value is not None and value.isdecimal() else None


def _local(elem: Any) -> str:
    """An element's local name. Not ``etree.QName``: it raises on a tag libxml2 kept with an
    undeclared prefix (``<ns2:rapport>``), which is malformed but must only be ignored."""
    return str(elem.tag).rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _drop(elem: Any) -> None:
    """Free an element already read, and its already-read previous siblings."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    while parent is not None and elem.getprevious() is not None:
        del parent[0]


def report_to_json(report: ProcessingReport) -> dict[str, Any]:
    """The report as the JSON object of ``accrochage report parse --json`` (CDC key names).

    Args:
        report: A parsed report.

    Returns:
        A JSON-serialisable dict: nomFichier, idFlux, idTraitement, passages, errors.
    """
    return {
        "nomFichier": report.nom_fichier,
        "idFlux": report.id_flux,
        "idTraitement": report.id_traitement,
        "passages": [
            {
                "idTechnique": p.id_technique,
                "status": "OK" if p.ok else "KO",
                "message": p.message,
                "class": p.klass.value if p.klass is not None else None,
                "hint": p.hint,
            }
            for p in report.passages
        ],
        "errors": [
            {"type": e.type, "message": e.message, "ligne": e.line, "colonne": e.column}
            for e in report.errors
        ],
    }
