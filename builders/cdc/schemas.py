"""The schema store: official CDC XSDs imported by the operator, one per version.

``accrochage schema import PATH`` accepts the ``.xsd`` itself or the official kit ``.zip``
(the ``.xsd`` inside is found). The file must be an XSD of namespace
``urn:cdc:cpf:pc5:schema:1.0.0`` defining the ``flux`` element; its ``xsd:schema/@version``
(e.g. ``1.1.5``) decides where it goes: ``<data_dir>/schemas/<version>/certifications-cdc.xsd``
(0600, folder 0700), with its SHA-256 in ``certifications-cdc.xsd.sha256``. Importing the same
version again replaces it atomically.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from builders.cdc.markup import NAMESPACE
from builders.errors import SchemaImportError

XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
SCHEMA_FILE = "certifications-cdc.xsd"
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+){0,3}$")
_MAX_XSD_BYTES = 5_000_000


@dataclass(frozen=True)
class ImportedSchema:
    """An XSD in the store."""

    version: str
    path: Path
    sha256: str
    replaced: bool = False


def _schema_version(data: bytes, origin: str) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SchemaImportError(f"{origin}: not well-formed XML: {exc}") from exc
    if root.tag != f"{{{XSD_NAMESPACE}}}schema":
        raise SchemaImportError(f"{origin}: not an XSD (root element is {root.tag})")
    namespace = root.get("targetNamespace")
    if namespace != NAMESPACE:
        raise SchemaImportError(
            f"{origin}: targetNamespace is {namespace!r}, expected {NAMESPACE!r} (CDC flux)"
        )
    if root.find(f"{{{XSD_NAMESPACE}}}element[@name='flux']") is None:
        raise SchemaImportError(f"{origin}: the XSD does not define the flux element")
    version = root.get("version") or ""
    if not _VERSION.match(version):
        raise SchemaImportError(f"{origin}: xsd:schema/@version {version!r} is not a version")
    try:
        etree.XMLSchema(root)
    except etree.XMLSchemaParseError as exc:
        raise SchemaImportError(f"{origin}: the XSD does not compile: {exc}") from exc
    return version


def _from_zip(path: Path) -> tuple[bytes, str]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SchemaImportError(f"{path}: not a zip file: {exc}") from exc
    with archive:
        members = [
            info
            for info in archive.infolist()
            if info.filename.lower().endswith(".xsd") and "__MACOSX" not in info.filename
        ]
        if not members:
            raise SchemaImportError(f"{path}: the zip holds no .xsd file")
        if len(members) > 1:
            names = ", ".join(info.filename for info in members)
            raise SchemaImportError(f"{path}: the zip holds several .xsd files ({names})")
        info = members[0]
        if info.file_size > _MAX_XSD_BYTES:
            raise SchemaImportError(f"{path}: {info.filename} is too large for an XSD")
        return archive.read(info), f"{path}:{info.filename}"


def import_schema(source: Path, data_dir: Path) -> ImportedSchema:
    """Check and store the XSD at ``source`` (``.xsd`` or kit ``.zip``).

    Raises:
        SchemaImportError: the file is missing, not an XSD, or not the CDC flux schema.
    """
    if not source.is_file():
        raise SchemaImportError(f"{source}: no such file")
    if zipfile.is_zipfile(source):
        data, origin = _from_zip(source)
    else:
        if source.stat().st_size > _MAX_XSD_BYTES:
            raise SchemaImportError(f"{source}: too large for an XSD")
        data, origin = source.read_bytes(), str(source)
    version = _schema_version(data, origin)
    folder = data_dir / "schemas" / version
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / SCHEMA_FILE
    digest = hashlib.sha256(data).hexdigest()
    replaced = target.exists()
    for name, content in ((SCHEMA_FILE, data), (f"{SCHEMA_FILE}.sha256", digest.encode())):
        temp = folder / f".{name}.part"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        temp.replace(folder / name)
    return ImportedSchema(version, target, digest, replaced)


def get_schema(data_dir: Path, version: str) -> Path | None:
    """The imported XSD for ``version``, or None when none was imported."""
    if not _VERSION.match(version):
        return None
    path = data_dir / "schemas" / version / SCHEMA_FILE
    return path if path.is_file() else None


def list_schemas(data_dir: Path) -> list[ImportedSchema]:
    """Every imported XSD, by version."""
    root = data_dir / "schemas"
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        path = get_schema(data_dir, folder.name)
        if path is not None:
            found.append(
                ImportedSchema(folder.name, path, hashlib.sha256(path.read_bytes()).hexdigest())
            )
    return found
