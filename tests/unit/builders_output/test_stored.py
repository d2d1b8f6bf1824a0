"""Stored records (JSON) to flux files: the pool writes what one process writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.models import IdentifiantNational, IdentificationTitulaire, PassageRecord
from builders.flux import parallel, stored
from builders.flux.stored import write_stored_records
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import counter_ids, fixed_clock, make_record


def _records() -> list[PassageRecord]:
    """Two declarations, three certifications, in the order the store gives them."""
    records = []
    for number in range(23):
        code = ("RNCP12345", "RNCP23456", "RS5875")[number // 8]
        emetteur = "AB123CDE" if number < 20 else "ZZ999ZZZ"
        records.append(
            make_record(
                f"T{number:03d}",
                code=code,
                type_="RS" if code.startswith("RS") else "RNCP",
                emetteur=emetteur,
                certificateur=emetteur,
            )
        )
    return records


def _write(
    texts: list[bytes], folder: Path, xsd: Path | None, *, version: str = "1.1.5"
) -> dict[str, bytes]:
    written: list[tuple[str, str]] = []
    built = write_stored_records(
        texts,
        folder,
        count=len(texts),
        settings=BuildSettings(),
        schema_version=version,  # type: ignore[arg-type]
        now=fixed_clock(),
        new_id=counter_ids(),
        on_passage=lambda name, id_technique: written.append((name, id_technique)),
        xsd=xsd,
    )
    assert [i for _, i in written] == [
        PassageRecord.model_validate_json(t).passage.idTechnique for t in texts
    ]
    return {file.name: file.path.read_bytes() for file in built}


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_the_pool_writes_the_files_one_process_writes(
    tmp_path: Path,
    xsd115: Path,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    pools_started: list[int],
) -> None:
    monkeypatch.setattr(parallel, "START", start)
    texts = [record.model_dump_json().encode() for record in _records()]
    alone = _write(texts, tmp_path / "alone", xsd115)
    monkeypatch.setattr(stored, "POOL_RECORDS", 1)
    monkeypatch.setattr(stored, "CHUNK", 4)  # chunks across groups and files
    pooled = _write(texts, tmp_path / "pooled", xsd115)
    assert pools_started == [2]
    assert pooled == alone
    assert len(alone) == 2  # one file per declaration
    schema = etree.XMLSchema(etree.parse(str(xsd115)))
    for content in pooled.values():
        assert schema.validate(etree.fromstring(content))


def test_a_record_the_version_cannot_hold_fails_the_pooled_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """identifiantNational under 1.1.2, met by a pool process: ValueError, nothing published."""
    records = _records()
    nir = IdentificationTitulaire(
        identifiantNational=IdentifiantNational(nir="1900575115123", nomNaissance="Dupont")
    )
    bad = records[9].model_copy(
        update={"passage": records[9].passage.model_copy(update={"identificationTitulaire": nir})}
    )
    texts = [r.model_dump_json().encode() for r in [*records[:9], bad, *records[10:]]]
    monkeypatch.setattr(stored, "POOL_RECORDS", 1)
    monkeypatch.setattr(stored, "CHUNK", 4)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    with pytest.raises(ValueError, match=r"identifiantNational requires schema 1\.1\.5"):
        _write(texts, tmp_path / "out", None, version="1.1.2")
    assert list((tmp_path / "out").iterdir()) == []
