"""Passages written in runs (``SplittingWriter.add_run``, ``Spool.runs``) give the same files as
passages written one by one: same bytes, same splits, same layouts."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from builders.flux import layout
from builders.flux.splitter import CertKey, Fragment, Limits, PendingFile, Run, SplittingWriter
from builders.flux.spool import Spool
from builders.flux.writer import fragment_for
from tests.unit.builders_output.conftest import (
    counter_ids,
    fixed_clock,
    make_record,
    spool_add,
)

CODES = ("RNCP11111", "RNCP22222", "RNCP33333")


def _fragments(count: int, codes: list[int], long_names: list[bool]) -> list[Fragment]:
    """``count`` fragments of one declaration, certifications and sizes varying."""
    fragments = []
    for index in range(count):
        code = CODES[codes[index % len(codes)]]
        nom = "N" * (60 if long_names[index % len(long_names)] else 3)
        record = make_record(f"T{index}", code=code, nom=nom)
        fragments.append(fragment_for(record, "1.1.5"))
    return fragments


def _write(out: Path, limits: Limits, feed: object) -> list[tuple[bytes, object]]:
    """Run ``feed(writer)`` and return each file's bytes and layout, in order."""
    out.mkdir()
    files: list[PendingFile] = []
    writer = SplittingWriter(
        out,
        prefix="t",
        schema_version="1.1.5",
        action="CREATION",
        limits=limits,
        now=fixed_clock(),
        new_id=counter_ids(),
        on_file=files.append,
    )
    feed(writer)  # type: ignore[operator]
    writer.close()
    return [(file.temp_path.read_bytes(), file.layout) for file in files]


def _by_runs(fragments: list[Fragment], cuts: list[int]):
    def feed(writer: SplittingWriter) -> None:
        start = 0
        for end in [*sorted(set(cuts)), len(fragments)]:
            run = fragments[start:end]
            # A run holds one group: cut it again where the certification changes.
            while run:
                key = run[0].cert_key
                same = next((i for i, f in enumerate(run) if f.cert_key != key), len(run))
                part, run = run[:same], run[same:]
                writer.add_run(
                    Run(
                        part[0].file_key,
                        key,
                        [f.id_technique for f in part],
                        [len(f.xml) for f in part],
                        b"".join(f.xml for f in part),
                    )
                )
            start = max(start, end)

    return feed


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(1, 40),
    codes=st.lists(st.integers(0, len(CODES) - 1), min_size=1, max_size=6),
    long_names=st.lists(st.booleans(), min_size=1, max_size=4),
    max_passages=st.integers(1, 12),
    room=st.integers(0, 9000),
    cuts=st.lists(st.integers(0, 40), max_size=8),
)
@example(count=6, codes=[0], long_names=[False], max_passages=12, room=9000, cuts=[2, 4])
@example(count=9, codes=[0, 0, 1], long_names=[True, False], max_passages=4, room=0, cuts=[5])
def test_runs_write_the_same_files_as_single_passages(
    tmp_path_factory, monkeypatch, count, codes, long_names, max_passages, room, cuts
):
    monkeypatch.setattr(layout, "CHUNK_PASSAGES", 3)  # layout runs of 3 passages: runs get cut too
    fragments = _fragments(count, codes, long_names)
    largest = max(len(f.xml) for f in fragments)
    limits = Limits(max_passages, 2500 + largest + room)  # every passage fits an empty file
    base = tmp_path_factory.mktemp("w")

    def one_by_one(writer: SplittingWriter) -> None:
        for fragment in fragments:
            writer.add(fragment)

    expected = _write(base / "single", limits, one_by_one)
    found = _write(base / "runs", limits, _by_runs(fragments, [c for c in cuts if c < count]))
    assert [layout for _, layout in found] == [layout for _, layout in expected]
    assert [data for data, _ in found] == [data for data, _ in expected]
    assert all(len(data) <= limits.max_bytes for data, _ in found)
    ids = [
        i
        for data, _ in found
        for i in etree.fromstring(data).xpath(
            "//cpf:idTechnique/text()", namespaces={"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}
        )
    ]
    assert sorted(ids) == sorted(f.id_technique for f in fragments)


def test_spool_runs_cut_groups_into_runs_of_at_most_size():
    """Runs hold one group each, at most ``size`` passages, in input order within the group."""
    records = [make_record(f"A{i}", code="RNCP1") for i in range(5)]
    records += [make_record(f"B{i}", code="RNCP2") for i in range(3)]
    records.insert(2, make_record("é-accentué", code="RNCP2"))  # a non-ASCII id
    with Spool() as spool:
        for number, record in enumerate(records, start=2):
            spool_add(spool, fragment_for(record, "1.1.5"), source="x.csv", row=number)
        runs = list(spool.runs(size=2))
    assert [(run.cert_key.code, run.ids) for run in runs] == [
        ("RNCP1", ["A0", "A1"]),
        ("RNCP1", ["A2", "A3"]),
        ("RNCP1", ["A4"]),
        ("RNCP2", ["é-accentué", "B0"]),
        ("RNCP2", ["B1", "B2"]),
    ]
    for run in runs:
        assert len(run.xml) == sum(run.sizes)
        assert [f.xml for f in run.fragments()] == [
            fragment_for(r, "1.1.5").xml for r in records if r.passage.idTechnique in run.ids
        ]
        assert isinstance(run.cert_key, CertKey)
