"""Every record the models accept becomes XML the official XSDs accept, and reads back equal."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from builders.cdc.fluxread import iter_flux
from builders.cdc.models import PassageRecord
from builders.flux.writer import keys_of, write_flux_files
from builders.settings import BuildSettings
from tests.unit.builders_input.strategies import passage_records
from tests.unit.builders_output.conftest import counter_ids, fixed_clock

_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _ordered(records: list[PassageRecord]) -> list[PassageRecord]:
    """Unique idTechnique per emitter, grouped as the writer expects."""
    unique: dict[tuple[str, str], PassageRecord] = {}
    for record in records:
        unique.setdefault((record.declaration.idClientEmetteur, record.passage.idTechnique), record)
    return sorted(unique.values(), key=lambda r: [str(part) for part in keys_of(r)])


def _write_and_check(records: list[PassageRecord], version: str, oracle: dict) -> None:
    records = _ordered(records)
    with tempfile.TemporaryDirectory() as folder:
        built = write_flux_files(
            records,
            Path(folder),
            settings=BuildSettings(),
            schema_version=version,  # type: ignore[arg-type]
            now=fixed_clock(),
            new_id=counter_ids(),
        )
        read_back: list[PassageRecord] = []
        for file in built:
            document = etree.parse(str(file.path))
            assert oracle[version].validate(document), oracle[version].error_log
            if version == "1.1.2":
                # 1.1.2 structures are valid 1.1.5 too
                assert oracle["1.1.5"].validate(document), oracle["1.1.5"].error_log
            _, passages = iter_flux(file.path)
            for passage in passages:
                assert passage.problems == ()
                assert isinstance(passage.record, PassageRecord)
                read_back.append(passage.record)
    assert read_back == records


@_SETTINGS
@given(st.lists(passage_records("1.1.5"), min_size=1, max_size=4))
def test_writer_115_output_valid_for_official_xsd_and_round_trips(oracle, records):
    """Any valid 1.1.5 records give files the official 1.1.5 XSD accepts and read back equal."""
    _write_and_check(records, "1.1.5", oracle)


@_SETTINGS
@given(st.lists(passage_records("1.1.2"), min_size=1, max_size=4))
def test_writer_112_output_valid_for_both_official_xsds_and_round_trips(oracle, records):
    """Valid records without identifiantNational give 1.1.2 files both official XSDs accept."""
    _write_and_check(records, "1.1.2", oracle)
