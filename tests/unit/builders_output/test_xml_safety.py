"""Hand-made flux files never make the builders read local files or the network."""

from __future__ import annotations

from pathlib import Path

from builders.cdc.check import check_flux
from builders.cdc.fluxread import iter_flux

CANARY = "canary-7c1e-local-secret"


def _hostile_flux(tmp_path: Path, shared_cdc: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY, encoding="utf-8")
    text = (shared_cdc / "cdc-example-1.1.5-CREATION.xml").read_text(encoding="utf-8")
    head, body = text.split("\n", 1)
    doctype = f'<!DOCTYPE cpf:flux [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    body = body.replace("ID_TECHNIQUE_01", "&xxe;", 1)
    path = tmp_path / "hostile.xml"
    path.write_text(f"{head}\n{doctype}{body}", encoding="utf-8")
    return path


def test_check_never_expands_external_entities(tmp_path, shared_cdc, xsd115):
    """check_flux with and without XSD does not pull a local file into its findings."""
    path = _hostile_flux(tmp_path, shared_cdc)
    for xsd in (None, xsd115):
        findings = check_flux(path, xsd=xsd)
        assert all(CANARY not in str(finding) for finding in findings)


def test_fluxread_never_expands_external_entities(tmp_path, shared_cdc):
    """iter_flux yields the passage without the entity's content."""
    _header, passages = iter_flux(_hostile_flux(tmp_path, shared_cdc))
    ids = [passage.id_technique for passage in passages]
    assert len(ids) == 3
    assert all(CANARY not in (value or "") for value in ids)
    assert ids[1:] == ["ID_TECHNIQUE_02", "ID_TECHNIQUE_03"]
