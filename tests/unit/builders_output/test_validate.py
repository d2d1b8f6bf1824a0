"""Streaming XSD validation: every error with its real line; failing files never published."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.xsd import xsd_errors
from builders.errors import BuildError
from builders.flux import workers
from builders.flux.splitter import Limits, PendingFile, SplittingWriter
from builders.flux.validate import FluxValidationError, answer, file_errors, layout_errors
from builders.flux.writer import fragment_for
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import fixed_clock, make_record, strict_xsd, write_flux

SAMPLES = (
    "cdc-example-1.1.2-Fichier-XML-v2.0.0.xml",
    "cdc-example-1.1.5-CREATION.xml",
    "cdc-example-1.1.5-SUPPRESSION.xml",
    "pix-deposit-sample-RS-1.1.2.xml",
)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _oracle_lines(path: Path, xsd: Path) -> list[int]:
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    schema.validate(etree.parse(str(path)))
    return sorted(error.line for error in schema.error_log)


@pytest.mark.parametrize("name", SAMPLES)
def test_xsd_errors_none_for_official_samples(shared_cdc, xsd115, name):
    """Every official sample is valid against the official 1.1.5 XSD."""
    assert xsd_errors(shared_cdc / name, xsd115) == []


def test_xsd_errors_reports_every_error_at_its_line(shared_cdc, xsd115, tmp_path):
    """Errors in the header, in a kept passage and in a moved passage all carry their line."""
    text = (shared_cdc / "cdc-example-1.1.5-CREATION.xml").read_text(encoding="utf-8")
    text = text.replace("<cpf:code>RNCP11556</cpf:code>", "<cpf:code></cpf:code>")
    text = text.replace("<cpf:sexe>F</cpf:sexe>", "<cpf:sexe>X</cpf:sexe>")
    text = text.replace("<cpf:verbatim>Commentaire02</cpf:verbatim>", "<cpf:foo>1</cpf:foo>", 1)
    bad = tmp_path / "bad.xml"
    bad.write_text(text, encoding="utf-8")
    errors = xsd_errors(bad, xsd115)
    expected = [
        _line_of(text, "<cpf:code></cpf:code>"),
        _line_of(text, "<cpf:sexe>X"),
        _line_of(text, "<cpf:foo>"),
    ]
    assert [e.line for e in errors] == expected == _oracle_lines(bad, xsd115)
    assert "sexe" in errors[1].message and "foo" in errors[2].message


def test_xsd_errors_lines_exact_across_batches(tmp_path, xsd115):
    """In a file of 2,500 passages an error in passage 2,100 is reported at its own line."""
    records = [make_record(f"T{i:05d}") for i in range(2500)]
    built = write_flux(records, tmp_path / "out")
    text = built[0].path.read_text(encoding="utf-8")
    target = "<cpf:idTechnique>T02100</cpf:idTechnique>"
    broken = text.replace(target, "<cpf:idTechnique></cpf:idTechnique>")
    path = tmp_path / "broken.xml"
    path.write_text(broken, encoding="utf-8")
    errors = xsd_errors(path, xsd115)
    assert [e.line for e in errors] == [_line_of(text, target)]


def test_xsd_errors_syntax_error_has_line_and_column(tmp_path, xsd115):
    """A file that is not well-formed gives one syntax error with its position."""
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?>\n<a>\n  <b></a>\n', encoding="utf-8")
    errors = xsd_errors(path, xsd115)
    assert len(errors) == 1
    assert errors[0].syntax and errors[0].line == 3 and errors[0].column > 0


def test_writer_moves_aside_a_file_the_imported_xsd_rejects(tmp_path, xsd115):
    """A built file failing the imported XSD is never left with its deposit-ready name."""
    xsd = strict_xsd(xsd115, tmp_path)
    out = tmp_path / "out"
    with pytest.raises(FluxValidationError) as caught:
        write_flux([make_record(nom="Dupont")], out, xsd=xsd)
    failure = caught.value.failures[0]
    assert caught.value.built == []
    assert list(out.glob("*.xml")) == []
    assert failure.moved_to.exists() and failure.moved_to.name.endswith(".xml.invalid")
    assert "nomNaissance" in failure.errors[0].message
    assert f"line {failure.errors[0].line}" in str(caught.value)


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_writer_background_validation_publishes_good_files_only(
    tmp_path, xsd115, monkeypatch, start
):
    """With worker processes, valid files are published and the invalid one moved aside."""
    monkeypatch.setattr("builders.flux.workers.BACKGROUND_BYTES", 0)
    monkeypatch.setattr("builders.flux.parallel.START", start)
    xsd = strict_xsd(xsd115, tmp_path)
    records = [
        make_record("T1", nom="Abc"),
        make_record("T2", nom="Dupont"),
        make_record("T3", nom="Xy"),
    ]
    out = tmp_path / "out"
    with pytest.raises(FluxValidationError) as caught:
        write_flux(records, out, xsd=xsd, settings=BuildSettings(max_passages_per_file=1))
    assert [b.passages for b in caught.value.built] == [1, 1]
    assert sorted(p.name for p in out.glob("*.xml")) == sorted(b.name for b in caught.value.built)
    (failure,) = caught.value.failures
    assert failure.name == sorted(out.glob("*.invalid"))[0].name[: -len(".invalid")]
    text = failure.moved_to.read_text(encoding="utf-8")
    assert [e.line for e in failure.errors] == [_line_of(text, "<cpf:nomNaissance>Dupont")]


def test_writer_with_official_xsd_publishes_valid_files(tmp_path, xsd115):
    """With the official XSD imported, valid records are published normally."""
    built = write_flux([make_record("T1"), make_record("T2")], tmp_path, xsd=xsd115)
    assert [b.passages for b in built] == [2]
    assert built[0].path.exists()


def _written(folder: Path, records: list) -> PendingFile:
    """Write one file with the splitting writer and return it unpublished, with its layout."""
    files: list[PendingFile] = []
    writer = SplittingWriter(
        folder,
        prefix="t",
        schema_version="1.1.5",
        action="CREATION",
        limits=Limits(50_000, 190_000_000),
        now=fixed_clock(),
        new_id=lambda: "id-1",
        on_file=files.append,
    )
    for record in records:
        writer.add(fragment_for(record, "1.1.5"))
    writer.close()
    return files[0]


def _two_certifications(folder: Path) -> PendingFile:
    records = [make_record(f"T{i:05d}") for i in range(2100)]
    records += [make_record(f"S{i:05d}", type_="RS", code="RS5875") for i in range(1200)]
    return _written(folder, records)


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_layout_errors_same_as_streaming_and_header_reported_once(tmp_path, xsd115):
    """Run-by-run validation finds the streaming validator's errors, at the same lines, once."""
    pending = _two_certifications(tmp_path)
    assert pending.layout is not None and len(pending.layout.chunks) == 5
    path = pending.temp_path
    assert layout_errors(path, xsd115, pending.layout) == []
    text = path.read_text(encoding="utf-8")
    # same-length edits keep the layout valid: a header error (in every run), a passage in run 3
    _edit(path, "<cpf:horodatage>2026-01", "<cpf:horodatage>2026-13")
    late = text.index("<cpf:idTechnique>T02050<")
    edited = path.read_text(encoding="utf-8")
    cut = edited.index("<cpf:sexe>F<", late)
    path.write_text(edited[:cut] + "<cpf:sexe>X<" + edited[cut + 12 :], encoding="utf-8")
    streaming = xsd_errors(path, xsd115)
    by_runs = layout_errors(path, xsd115, pending.layout)
    assert by_runs is not None
    assert [(e.line, e.message) for e in by_runs] == [(e.line, e.message) for e in streaming]
    assert len(by_runs) == 2
    assert by_runs[0].line == _line_of(text, "<cpf:horodatage>")


def test_layout_errors_refuses_a_file_that_no_longer_matches(tmp_path, xsd115):
    """A file edited after writing is not trusted to its layout: streaming takes over."""
    pending = _two_certifications(tmp_path)
    _edit(pending.temp_path, "<cpf:sexe>F</cpf:sexe>", "<cpf:sexe>FF</cpf:sexe>")
    assert layout_errors(pending.temp_path, xsd115, pending.layout) is None
    errors = file_errors(pending.temp_path, xsd115, pending.layout)
    text = pending.temp_path.read_text(encoding="utf-8")
    assert [e.line for e in errors] == [_line_of(text, "<cpf:sexe>FF")]


def test_xsd_with_identity_constraint_is_applied_to_whole_document(tmp_path, xsd115):
    """An imported XSD with xsd:unique (spanning passages) still catches a violation."""
    text = xsd115.read_text(encoding="utf-8")
    unique = (
        '<xsd:unique name="oneId"><xsd:selector xpath=".//cpf:passageCertification"/>'
        '<xsd:field xpath="cpf:idTechnique"/></xsd:unique></xsd:element>'
    )
    text = text.replace(
        '<xsd:element name="flux" type="cpf:flux"/>',
        '<xsd:element name="flux" type="cpf:flux">' + unique,
    )
    xsd = tmp_path / "unique.xsd"
    xsd.write_text(text, encoding="utf-8")
    pending = _two_certifications(tmp_path)
    assert file_errors(pending.temp_path, xsd, pending.layout) == []
    _edit(pending.temp_path, "<cpf:idTechnique>S00999<", "<cpf:idTechnique>T00001<")
    for errors in (
        file_errors(pending.temp_path, xsd, pending.layout),
        xsd_errors(pending.temp_path, xsd),
    ):
        assert len(errors) == 1 and "oneId" in errors[0].message


def test_validate_xsd_replaced_at_same_path_is_reloaded(shared_cdc, tmp_path):
    """A long-running process sees an XSD re-imported at the same path, never a stale one."""
    import os

    xsd = tmp_path / "certifications-cdc.xsd"
    sample = shared_cdc / "cdc-example-1.1.5-CREATION.xml"
    xsd.write_bytes((shared_cdc / "cdc-certifications-1.1.5.xsd").read_bytes())
    assert xsd_errors(sample, xsd) == []
    xsd.write_bytes((shared_cdc / "cdc-certifications-1.1.2.xsd").read_bytes())
    stat = xsd.stat()
    os.utime(xsd, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    errors = xsd_errors(sample, xsd)
    assert errors, "1.1.2 has no cpf:action: the re-imported XSD must be the one applied"
    assert any("action" in error.message for error in errors)


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_validation_worker_that_dies_is_reported(tmp_path, xsd115, monkeypatch, start):
    """A pool process killed (out of memory, say) ends the build with a clear error, no hang."""
    monkeypatch.setattr("builders.flux.parallel.START", start)
    pool = workers.start_pool(1)
    try:
        assert pool.method == ("fork" if start == "fork" else "forkserver")
        pid = pool.result(pool.submit(os.getpid))
        assert pid != os.getpid() and pool.pids() == [pid]
        # forked from this process, or from the fork server (a fresh interpreter)
        assert (_parent_of(pid) == os.getpid()) == (start == "fork")
        os.kill(pid, signal.SIGKILL)
        request = {"path": str(tmp_path / "missing.xml"), "layout": None}
        with pytest.raises(BuildError, match=r"the XSD validation process died"):
            pool.result(pool.submit(answer, str(xsd115), request))
    finally:
        pool.close(kill=True)


def _parent_of(pid: int) -> int:
    """The parent process id of ``pid`` (Linux ``/proc``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])
