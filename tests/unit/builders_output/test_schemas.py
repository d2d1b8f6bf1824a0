"""The schema store: import from .xsd or kit .zip, checks, lookup by version."""

from __future__ import annotations

import hashlib
import stat
import zipfile

import pytest

from builders.cdc.schemas import get_schema, import_schema, list_schemas
from builders.errors import SchemaImportError


def test_schema_import_xsd_stores_by_version_with_sha256(xsd115, tmp_path):
    """The 1.1.5 XSD lands under schemas/1.1.5 (0600) with its SHA-256."""
    imported = import_schema(xsd115, tmp_path)
    digest = hashlib.sha256(xsd115.read_bytes()).hexdigest()
    assert imported.version == "1.1.5" and imported.sha256 == digest
    assert imported.path == tmp_path / "schemas" / "1.1.5" / "certifications-cdc.xsd"
    assert imported.path.read_bytes() == xsd115.read_bytes()
    assert stat.S_IMODE(imported.path.stat().st_mode) == 0o600
    assert (imported.path.parent / "certifications-cdc.xsd.sha256").read_text() == digest
    assert get_schema(tmp_path, "1.1.5") == imported.path
    assert get_schema(tmp_path, "1.1.2") is None


def test_schema_import_from_kit_zip(xsd115, shared_cdc, tmp_path):
    """The official kit zip: the .xsd inside is found and imported."""
    kit = tmp_path / "Exemple de fichier XML avec son XSD.zip"
    with zipfile.ZipFile(kit, "w") as archive:
        archive.write(xsd115, "Exemple de fichier XML avec son XSD/certifications-cdc.xsd")
        archive.write(shared_cdc / "cdc-example-1.1.5-CREATION.xml", "Exemple/CREATION.xml")
    imported = import_schema(kit, tmp_path / "data")
    assert imported.version == "1.1.5"
    assert imported.path.read_bytes() == xsd115.read_bytes()


def test_schema_import_two_versions_side_by_side(xsd115, xsd112, tmp_path):
    """Each version has its own slot; re-importing a version says it replaced it."""
    import_schema(xsd115, tmp_path)
    import_schema(xsd112, tmp_path)
    assert [s.version for s in list_schemas(tmp_path)] == ["1.1.2", "1.1.5"]
    assert import_schema(xsd115, tmp_path).replaced


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not xml", "not well-formed"),
        (b"<rapport/>", "not an XSD"),
        (
            b'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            b'targetNamespace="urn:other" version="1.0"/>',
            "targetNamespace",
        ),
        (
            b'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            b'targetNamespace="urn:cdc:cpf:pc5:schema:1.0.0" version="1.1.9"/>',
            "flux",
        ),
    ],
)
def test_schema_import_refuses_what_is_not_the_cdc_xsd(tmp_path, content, message):
    """Non-XML, non-XSD, other namespace, no flux element: a clear SchemaImportError."""
    path = tmp_path / "thing.xsd"
    path.write_bytes(content)
    with pytest.raises(SchemaImportError, match=message):
        import_schema(path, tmp_path / "data")
    assert not (tmp_path / "data" / "schemas").exists()


def test_schema_import_refuses_xsd_without_version(xsd115, tmp_path):
    """The version decides where the XSD goes: without one it is refused."""
    path = tmp_path / "noversion.xsd"
    path.write_text(
        xsd115.read_text(encoding="utf-8").replace('version="1.1.5"', "", 1), encoding="utf-8"
    )
    with pytest.raises(SchemaImportError, match="version"):
        import_schema(path, tmp_path / "data")


def test_schema_import_zip_without_or_with_several_xsd(xsd115, xsd112, tmp_path):
    """A kit zip must hold exactly one .xsd."""
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(SchemaImportError, match=r"no \.xsd"):
        import_schema(empty, tmp_path / "data")
    both = tmp_path / "both.zip"
    with zipfile.ZipFile(both, "w") as archive:
        archive.write(xsd115, "a.xsd")
        archive.write(xsd112, "b.xsd")
    with pytest.raises(SchemaImportError, match="several"):
        import_schema(both, tmp_path / "data")


def test_get_schema_ignores_path_like_versions(tmp_path):
    """A version is never used as a path: traversal attempts find nothing."""
    assert get_schema(tmp_path, "../../etc") is None
