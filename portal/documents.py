"""Saving receipts and reports: owner-only files with their SHA-256, written atomically.

Shared by every ``Portal`` implementation so the fake and the browser client name and hash
documents the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from builders.files import ensure_private_dir, read_chunks, write_private
from portal.base import DocumentKind, SavedDocument
from portal.errors import DocumentRefused


def document_name(file_name: str, kind: DocumentKind, suffix: str) -> str:
    """The saved name of a document: ``<deposited stem>.<kind><suffix>``.

    Deterministic, so fetching the same document twice overwrites instead of piling up.

    Args:
        file_name: The deposited file's name, as shown in the portal's history.
        kind: Receipt or report.
        suffix: Extension including the dot (``.xml``, ``.pdf``), or empty.
    """
    stem = PurePosixPath(file_name.replace("\\", "/")).name
    if stem.lower().endswith(".xml"):
        stem = stem[:-4]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).lstrip(".") or "file"
    return f"{safe}.{kind.value}{suffix}"


def suffix_from(name: str | None, content_type: str | None = None) -> str:
    """A safe file extension from a suggested file name, else from a content type."""
    if name:
        suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
        if suffix and suffix[1:].isalnum() and len(suffix) <= 6:
            return suffix
    media = (content_type or "").split(";")[0].strip().lower()
    known = {
        "application/xml": ".xml",
        "text/xml": ".xml",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "text/html": ".html",
    }
    return known.get(media, ".bin")


def save_document(
    chunks: Iterable[bytes],
    *,
    kind: DocumentKind,
    file_name: str,
    dest_dir: Path,
    suffix: str,
    max_bytes: int | None = None,
) -> SavedDocument:
    """Write ``chunks`` to ``dest_dir`` owner-only and atomically; return it with its SHA-256.

    Args:
        chunks: The document's bytes, in pieces (streamed; never held whole).
        kind: Receipt or report.
        file_name: The deposited file the document belongs to.
        dest_dir: Target folder, created owner-only if missing.
        suffix: Extension of the saved file.
        max_bytes: Refuse the document once it passes this size (nothing is kept).

    Raises:
        DocumentRefused: the document is larger than ``max_bytes``.
    """
    ensure_private_dir(dest_dir)
    if max_bytes is not None:
        chunks = _capped(chunks, max_bytes, too_large(file_name, kind, max_bytes))
    target = dest_dir / document_name(file_name, kind, suffix)
    sha256, size = write_private(chunks, target)
    return SavedDocument(kind=kind, file_name=file_name, path=target, sha256=sha256, size=size)


def save_file(
    source: Path,
    *,
    kind: DocumentKind,
    file_name: str,
    dest_dir: Path,
    suffix: str,
    max_bytes: int | None = None,
) -> SavedDocument:
    """Copy ``source`` (e.g. a finished browser download) into ``dest_dir`` with its hash.

    Raises:
        DocumentRefused: ``source`` is larger than ``max_bytes`` (nothing is copied).
    """
    if max_bytes is not None and source.stat().st_size > max_bytes:
        raise DocumentRefused(too_large(file_name, kind, max_bytes, source.stat().st_size))

    return save_document(
        read_chunks(source),
        kind=kind,
        file_name=file_name,
        dest_dir=dest_dir,
        suffix=suffix,
        max_bytes=max_bytes,
    )


def _capped(chunks: Iterable[bytes], max_bytes: int, message: str) -> Iterator[bytes]:
    """``chunks`` as they come, raising ``DocumentRefused`` once they pass ``max_bytes``."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise DocumentRefused(message)
        yield chunk


def too_large(file_name: str, kind: DocumentKind, max_bytes: int, size: int | None = None) -> str:
    """The message for a document over the cap (``size`` when known)."""
    shown = f" ({size} bytes)" if size is not None else ""
    return (
        f"{file_name}: the {kind.value}{shown} is larger than [portal] max_document_bytes "
        f"({max_bytes} bytes): refused, not stored (a CDC report is small; raise the limit "
        "only if this one is genuine)"
    )
