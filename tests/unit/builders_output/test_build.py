"""build(): exports to validated files, bad and reused rows reported, good rows written."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from builders.cdc.fluxread import iter_flux
from builders.cdc.schemas import import_schema
from builders.flux.build import build
from builders.settings import BuildSettings, Declarant
from tests.unit.builders_output.conftest import counter_ids, fixed_clock, write_csv


def _build(paths, tmp_path, **options):
    return build(
        paths,
        tmp_path / "out",
        settings=options.pop("settings", BuildSettings()),
        declarant=Declarant(),
        data_dir=tmp_path / "data",
        now=fixed_clock(),
        new_id=counter_ids(),
        **options,
    )


def test_build_writes_good_rows_and_reports_bad_and_reused(tmp_path, oracle):
    """A bad row and a reused idTechnique are reported; the good rows are written."""
    export = write_csv(
        tmp_path / "export.csv",
        [
            {"idTechnique": "R1"},
            {"idTechnique": "R2", "sexe": "X"},
            {"idTechnique": "R1", "nomNaissance": "Durand"},
            {"idTechnique": "R3", "admis": "non"},
            {"idTechnique": "R4", "code": "RNCP99999"},
        ],
    )
    result = _build([export], tmp_path)
    assert (result.valid, result.rejected, result.skipped) == (2, 2, 1)
    assert [(e.row, e.field) for e in result.errors] == [(3, "sexe"), (4, "idTechnique")]
    assert result.errors[1].value == "R1"
    assert len(result.files) == 1 and result.files[0].passages == 2
    assert result.xsd is None
    document = etree.parse(str(result.files[0].path))
    assert oracle["1.1.5"].validate(document)
    _, passages = iter_flux(result.files[0].path)
    assert [p.id_technique for p in passages] == ["R1", "R4"]


def test_build_validates_with_imported_xsd(tmp_path, xsd112):
    """With an imported XSD for the target version, the result says it was used."""
    import_schema(xsd112, tmp_path / "data")
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}])
    result = _build([export], tmp_path, schema_version="1.1.2")
    assert result.xsd == tmp_path / "data" / "schemas" / "1.1.2" / "certifications-cdc.xsd"
    assert b"<cpf:action>" not in result.files[0].path.read_bytes()


def test_build_reuse_across_files_names_first_file(tmp_path):
    """idTechnique uniqueness spans all input files of a build."""
    first = write_csv(tmp_path / "janvier.csv", [{"idTechnique": "R1"}])
    second = write_csv(tmp_path / "fevrier.csv", [{"idTechnique": "R1"}, {"idTechnique": "R2"}])
    result = _build([first, second], tmp_path)
    assert [(e.source, e.row, e.field) for e in result.errors] == [(str(second), 2, "idTechnique")]
    assert result.errors[0].message == (
        f"already used in {first} row 2 (an idTechnique is unique per emitter)"
    )
    assert result.passages == 2


def test_build_nothing_valid_writes_no_file(tmp_path):
    """When no row is valid, no file is written and every row is reported."""
    export = write_csv(tmp_path / "export.csv", [{"sexe": "?"}])
    result = _build([export], tmp_path)
    assert result.files == [] and result.rejected == 1
    assert list((tmp_path / "out").iterdir()) == []


def test_build_groups_spooled_rows_after_direct_ones(tmp_path, oracle):
    """Rows of other groups wait in the spool; the same certifier's join the open file."""
    export = write_csv(
        tmp_path / "export.csv",
        [
            {"idTechnique": "A1"},
            {"idTechnique": "B1", "idClientCertificateur": "BBBBBBBB"},
            {"idTechnique": "C1", "code": "RNCP11111"},
            {"idTechnique": "A2"},
        ],
    )
    result = _build([export], tmp_path)
    assert [b.passages for b in result.files] == [3, 1]
    first, second = (iter_flux(b.path) for b in result.files)
    assert [(p.certification_code, p.id_technique) for p in first[1]] == [
        ("RNCP34567", "A1"),
        ("RNCP34567", "A2"),
        ("RNCP11111", "C1"),
    ]
    assert second[0].id_client_certificateur == "BBBBBBBB"
    for built in result.files:
        assert oracle["1.1.5"].validate(etree.parse(str(built.path)))


def test_build_unusable_later_file_publishes_nothing(tmp_path):
    """If a later input is unusable, files already being written are deleted."""
    import pytest

    from builders.errors import BuildError

    good = write_csv(tmp_path / "good.csv", [{"idTechnique": f"R{i}"} for i in range(3)])
    bad = tmp_path / "bad.csv"
    bad.write_text("foo;bar\n1;2\n", encoding="utf-8")
    with pytest.raises(BuildError):
        _build([good, bad], tmp_path, settings=BuildSettings(max_passages_per_file=1))
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_build_validates_files_in_background_during_import(tmp_path, xsd115, monkeypatch, start):
    """Files finished during the import go to validation workers; all end up published."""
    monkeypatch.setattr("builders.flux.workers.BACKGROUND_BYTES", 0)
    monkeypatch.setattr("builders.flux.parallel.START", start)
    import_schema(xsd115, tmp_path / "data")
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": f"R{i}"} for i in range(5)])
    result = _build([export], tmp_path, settings=BuildSettings(max_passages_per_file=2))
    assert [b.passages for b in result.files] == [2, 2, 1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        b.name for b in result.files
    )


def test_build_reports_file_failing_imported_xsd(tmp_path, xsd115):
    """A file the imported XSD rejects is listed in failures, moved aside, never published."""
    from tests.unit.builders_output.conftest import strict_xsd

    import_schema(strict_xsd(xsd115, tmp_path), tmp_path / "data")
    export = write_csv(tmp_path / "export.csv", [{"idTechnique": "R1"}, {"sexe": "?"}])
    result = _build([export], tmp_path)
    assert result.files == [] and result.rejected == 1
    (failure,) = result.failures
    assert "nomNaissance" in failure.errors[0].message
    assert [p.name for p in (tmp_path / "out").iterdir()] == [failure.moved_to.name]


def test_build_lists_20_late_rows_then_counts_the_others(tmp_path):
    """Late declarations: the first 20 rows are listed, one line counts the rest."""
    rows = [{"idTechnique": f"L{index:02d}"} for index in range(25)]
    export = write_csv(tmp_path / "export.csv", rows)
    result = build(
        [export],
        tmp_path / "out",
        settings=BuildSettings(),
        declarant=Declarant(),
        data_dir=tmp_path / "data",
        now=lambda: dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC),
        new_id=counter_ids(),
    )
    assert result.valid == 25
    assert [w.row for w in result.warnings] == [*range(2, 22), 0]
    assert result.warnings[-1].message == (
        "late declaration: 5 more rows past the 3-month deadline (25 in all)"
    )
