"""Saved documents: names, extensions, owner-only atomic writes, hashes."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.base import DocumentKind
from portal.documents import (
    document_name,
    ensure_private_dir,
    save_document,
    save_file,
    suffix_from,
)
from portal.errors import DocumentRefused


@pytest.mark.parametrize(
    ("file_name", "kind", "suffix", "expected"),
    [
        ("lot-001.xml", DocumentKind.REPORT, ".xml", "lot-001.accuse_traitement.xml"),
        ("LOT.XML", DocumentKind.RECEIPT, ".pdf", "LOT.accuse_reception.pdf"),
        ("../../etc/passwd", DocumentKind.RECEIPT, "", "passwd.accuse_reception"),
        ("dépôt 1.xml", DocumentKind.REPORT, ".xml", "dépôt_1.accuse_traitement.xml"),
        ("..xml", DocumentKind.REPORT, ".xml", "file.accuse_traitement.xml"),
    ],
)
def test_documents_name_is_safe_and_deterministic(
    file_name: str, kind: DocumentKind, suffix: str, expected: str
) -> None:
    """Names keep the deposited stem, drop any folder part and odd characters."""
    assert document_name(file_name, kind, suffix) == expected


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("Accuse_de_traitement_lot.xml_20231018.xml", None, ".xml"),
        ("AR.PDF", None, ".pdf"),
        (None, "application/xml; charset=utf-8", ".xml"),
        ("/espace-prive/documents/3/accuse-reception", "text/plain", ".txt"),
        (None, None, ".bin"),
    ],
)
def test_documents_suffix(name: str | None, content_type: str | None, expected: str) -> None:
    """The extension comes from the suggested name, else the content type."""
    assert suffix_from(name, content_type) == expected


def test_documents_save_is_owner_only_with_hash(tmp_path: Path) -> None:
    """Chunks are hashed and written 0600 in a 0700 folder; saving again overwrites."""
    dest = tmp_path / "docs"
    first = save_document(
        [b"<rapport>", b"</rapport>"],
        kind=DocumentKind.REPORT,
        file_name="a.xml",
        dest_dir=dest,
        suffix=".xml",
    )
    assert first.path.read_bytes() == b"<rapport></rapport>"
    assert first.sha256 == hashlib.sha256(b"<rapport></rapport>").hexdigest()
    assert first.size == 19
    assert first.path.stat().st_mode & 0o777 == 0o600
    assert dest.stat().st_mode & 0o777 == 0o700
    source = tmp_path / "download"
    source.write_bytes(b"v2")
    second = save_file(
        source, kind=DocumentKind.REPORT, file_name="a.xml", dest_dir=dest, suffix=".xml"
    )
    assert second.path == first.path
    assert second.path.read_bytes() == b"v2"


def test_documents_failed_write_leaves_nothing(tmp_path: Path) -> None:
    """A stream that breaks half-way leaves neither a partial file nor a temp file."""

    def broken() -> Iterator[bytes]:
        yield b"half"
        raise OSError("connection reset")

    with pytest.raises(OSError, match="reset"):
        save_document(
            broken(), kind=DocumentKind.RECEIPT, file_name="a.xml", dest_dir=tmp_path, suffix=".x"
        )
    assert list(tmp_path.iterdir()) == []


def test_private_dir_leaves_an_existing_shared_folder_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder the agent did not create keeps its mode, with a warning (issue 11)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o775)
    with caplog.at_level(logging.WARNING, logger="portal.documents"):
        assert ensure_private_dir(shared) == shared
        ensure_private_dir(shared)
    assert shared.stat().st_mode & 0o777 == 0o775
    warnings = [r.getMessage() for r in caplog.records if str(shared) in r.getMessage()]
    assert len(warnings) == 1
    assert "mode 0775" in warnings[0]
    assert "chmod 700" in warnings[0]
    made = ensure_private_dir(shared / "new" / "deeper")
    assert made.stat().st_mode & 0o777 == 0o700


def test_save_document_refuses_past_the_cap_and_keeps_nothing(tmp_path: Path) -> None:
    """A stream longer than max_bytes stops there: DocumentRefused, no file left (issue 11)."""
    pulled: list[int] = []

    def endless() -> Iterator[bytes]:
        for index in range(1000):
            pulled.append(index)
            yield b"x" * 1000

    dest = tmp_path / "docs"
    with pytest.raises(DocumentRefused, match=r"larger than \[portal\] max_document_bytes"):
        save_document(
            endless(),
            kind=DocumentKind.REPORT,
            file_name="a.xml",
            dest_dir=dest,
            suffix=".xml",
            max_bytes=5000,
        )
    assert len(pulled) == 6  # read no further than needed
    assert list(dest.iterdir()) == []
