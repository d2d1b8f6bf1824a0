"""Large files imported by a process pool give the same rows, in order, as in-process."""

from __future__ import annotations

import logging
import os
import pickle
import threading

import pytest
from lxml import etree

from builders.errors import BuildError
from builders.exports.importer import open_rows
from builders.flux import parallel, pipeline
from builders.flux.build import build
from builders.settings import BuildSettings, Declarant
from tests.holders import holder_for
from tests.unit.builders_output.conftest import counter_ids, fixed_clock, write_csv

ROWS = [
    {"idTechnique": f"R{index}", **extra}
    for index, extra in enumerate(
        [{}, {"sexe": "X"}, {}, {"admis": "non"}, {"code": "RNCP99999"}, {}, {"prenom1": ""}]
        + [{} for _ in range(12)]
        + [{"dateDebutValidite": "32/13/2024"}, {}]
    )
]


@pytest.fixture(params=["fork", "spawn"], autouse=True)
def start(request, monkeypatch):
    """Every test runs with forked pool processes and with a fork server's."""
    monkeypatch.setattr(parallel, "START", request.param)
    return request.param


@pytest.fixture
def pools(monkeypatch):
    """The import pools started, recorded (their processes' ids too, once started)."""
    started: list[tuple[parallel.Pool, list[int]]] = []

    class Recorded(parallel.Pool):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append((self, []))

        def submit(self, task, *args):
            future = super().submit(task, *args)
            started[-1][1][:] = sorted(set(started[-1][1]) | set(self.pids()))
            return future

    monkeypatch.setattr(parallel, "Pool", Recorded)
    return started


def test_pool_forks_only_without_foreign_threads(start):
    """Forking a process that runs other threads (the agent's scheduler) is never done; the
    bookkeeping threads of a running pool (manager, queue feeder) do not prevent it."""
    assert threading.active_count() == 1
    assert parallel.forking() == (start == "fork")
    running = parallel.Pool(1, what="test")
    try:
        assert running.result(running.submit(os.getpid)) != os.getpid()
        assert threading.active_count() > 1  # the pool's own threads
        assert parallel.forking() == (start == "fork")
        second = parallel.Pool(1, what="test")
        assert second.method == ("fork" if start == "fork" else "forkserver")
        second.close(kill=False)
    finally:
        running.close(kill=False)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="scheduler")
    other.start()
    try:
        assert not parallel.forking()
        third = parallel.Pool(1, what="test")
        assert third.method == "forkserver"
        third.close(kill=False)
    finally:
        stop.set()
        other.join()


def _rows(path, monkeypatch, pool_bytes, block=3):
    monkeypatch.setattr(pipeline, "POOL_BYTES", pool_bytes)
    monkeypatch.setattr(pipeline, "BLOCK", block)
    blocks = pipeline.rendered_blocks(
        path, declarant=Declarant(), settings=BuildSettings(), schema_version="1.1.5"
    )
    return [
        (source, number, errors, None if f is None else (f.file_key, f.cert_key, f.xml))
        for block in blocks
        for source, number, errors, f in block.rendered()
    ]


def test_pool_yields_same_rows_as_in_process(tmp_path, monkeypatch, start, pools):
    """Blocks rendered by the pool's processes come back in file order, results unchanged."""
    export = write_csv(tmp_path / "export.csv", ROWS)
    in_process = _rows(export, monkeypatch, 10**12)
    assert pools == []
    shared = _rows(export, monkeypatch, 0)
    [(pool, pids)] = pools
    assert pool.what == "import"
    assert pool.method == ("fork" if start == "fork" else "forkserver")
    assert pids and os.getpid() not in pids  # the rows were really mapped elsewhere
    assert shared == in_process
    assert [number for _, number, _, _ in shared] == list(range(2, 2 + len(ROWS)))
    assert sum(errors is None for _, _, errors, _ in shared) == 1  # admis non: skipped
    assert sum(bool(errors) for _, _, errors, _ in shared) == 3


def test_pool_raises_unusable_file(tmp_path, monkeypatch):
    """A file without a known header fails the same way with or without the pool."""
    export = tmp_path / "export.csv"
    export.write_text("foo;bar\n1;2\n", encoding="utf-8")
    messages = []
    for pool_bytes in (10**12, 0):
        with pytest.raises(BuildError) as caught:
            _rows(export, monkeypatch, pool_bytes)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "no header matches a known column" in messages[1]


def test_pool_logs_file_warning_once(tmp_path, monkeypatch, caplog):
    """The ignored-columns warning is logged once, however many processes map the rows."""
    export = tmp_path / "export.csv"
    write_csv(export, ROWS[:4])
    text = export.read_text(encoding="utf-8-sig").splitlines()
    text = [text[0] + ";Remarque"] + [line + ";x" for line in text[1:]]
    export.write_text("\n".join(text) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="builders"):
        _rows(export, monkeypatch, 0)
    warnings = [r.getMessage() for r in caplog.records if "columns ignored" in r.getMessage()]
    assert warnings == [
        f"{export}:1: columns ignored (not CDC names, known labels or in [build.columns]): "
        "'Remarque'"
    ]


def test_pool_reads_a_bounded_window_ahead(tmp_path, monkeypatch):
    """The file is read only a window of blocks ahead of the blocks taken: memory stays flat."""
    monkeypatch.setattr(pipeline, "BLOCK", 10)
    rows = [{"idTechnique": f"R{index}"} for index in range(200)]
    export = write_csv(tmp_path / "export.csv", rows)
    read: list[int] = []

    def counted(rows):
        for row in rows:
            read.append(row[0])
            yield row

    with open_rows(export, BuildSettings()) as (spec, data, _):
        task = pipeline.MapTask(spec, Declarant(), "1.1.5", None, None)
        blocks = pipeline._from_pool(task, counted(data), 2)
        assert len(next(blocks).rows) == 10
        window = parallel.WINDOW_PER_WORKER * 2
        assert 10 <= len(read) <= window * 10 + 10
        assert sum(len(block.rows) for block in blocks) == 190  # and the rest all come through
    assert len(read) == 200


def test_pool_process_that_dies_is_a_clear_error(tmp_path, monkeypatch):
    """An import process that dies mid-file ends the import with a BuildError, not a hang."""
    monkeypatch.setattr(pipeline, "render_chunk", _dying_chunk)
    export = write_csv(tmp_path / "export.csv", ROWS)
    with pytest.raises(BuildError, match=r"the import process died"):
        _rows(export, monkeypatch, 0, block=2)


_render_chunk = pipeline.render_chunk


@pytest.mark.parametrize(
    "cells",
    [["a", "", "b"], [""], ["x\x1fy", "z"], ["line\x1eother"], ["é", " ", "\x00formula"]],
)
def test_packed_rows_come_back_unchanged(cells):
    """Rows travel to the pool as one string, or as they are when a cell holds a separator."""
    rows = [(2, ["first", "row"]), (5, cells), (6, ["", "last"])]
    packed = pipeline.packed(rows)
    sent = pickle.loads(pickle.dumps(packed))  # noqa: S301 - our own data
    assert pipeline.unpacked(sent) == rows
    assert isinstance(packed, tuple) == all("\x1f" not in c and "\x1e" not in c for c in cells)


def _dying_chunk(task, chunk):
    if any(number == 9 for number, _ in pipeline.unpacked(chunk)):
        os._exit(3)  # as a process killed out of memory would end
    return _render_chunk(task, chunk)


def _build(export, tmp_path):
    return build(
        [export],
        tmp_path / "out",
        settings=BuildSettings(),
        declarant=Declarant(),
        data_dir=tmp_path / "data",
        now=fixed_clock(),
        new_id=counter_ids(),
    )


def test_build_through_pool_reports_reuse_across_blocks(tmp_path, monkeypatch, oracle):
    """A reused idTechnique in another block is still rejected, naming the first row."""
    monkeypatch.setattr(pipeline, "POOL_BYTES", 0)
    monkeypatch.setattr(pipeline, "BLOCK", 2)
    rows = [{"idTechnique": f"R{index}"} for index in range(6)] + [{"idTechnique": "R1"}]
    export = write_csv(tmp_path / "export.csv", rows)
    result = _build(export, tmp_path)
    assert (result.valid, result.rejected) == (6, 1)
    assert [(e.row, e.field, e.value) for e in result.errors] == [(8, "idTechnique", "R1")]
    assert result.errors[0].message == (
        f"already used in {export} row 3 (an idTechnique is unique per emitter)"
    )
    assert oracle["1.1.5"].validate(etree.parse(str(result.files[0].path)))


def test_pool_close_early_stops_its_processes(tmp_path, monkeypatch, pools):
    """Closing the rows early (an error in the build) stops and reaps the pool's processes."""
    export = write_csv(tmp_path / "export.csv", ROWS)
    monkeypatch.setattr(pipeline, "POOL_BYTES", 0)
    monkeypatch.setattr(pipeline, "BLOCK", 1)
    blocks = pipeline.rendered_blocks(
        export, declarant=Declarant(), settings=BuildSettings(), schema_version="1.1.5"
    )
    assert next(blocks).rendered()[0][1] == 2
    [(pool, pids)] = pools
    assert pids
    blocks.close()
    assert pool.pids() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone and reaped


@pytest.mark.parametrize("pool_bytes", [0, 10**12])
def test_build_rejects_reuse_inside_one_block_across_certifications(
    tmp_path, monkeypatch, oracle, pool_bytes
):
    """Rows of one block reusing an id, in the same or another certification: the later row
    is rejected naming the first, the rest are written, errors come in row order."""
    monkeypatch.setattr(pipeline, "POOL_BYTES", pool_bytes)
    monkeypatch.setattr(pipeline, "BLOCK", 50)
    rows = [
        {"idTechnique": "A", "code": "RNCP11111"},
        {"idTechnique": "B", "code": "RNCP22222"},
        {"idTechnique": "A", "code": "RNCP22222"},  # row 4: reuses row 2 (other certification)
        {"idTechnique": "C", "sexe": "X"},  # row 5: a bad row
        {"idTechnique": "B", "code": "RNCP22222"},  # row 6: reuses row 3 (same certification)
        {"idTechnique": "D", "code": "RNCP11111"},
    ]
    export = write_csv(tmp_path / "export.csv", rows)
    result = _build(export, tmp_path)
    assert (result.valid, result.rejected) == (3, 3)
    assert [(e.row, e.field) for e in result.errors] == [
        (4, "idTechnique"),
        (5, "sexe"),
        (6, "idTechnique"),
    ]
    assert result.errors[0].message == (
        f"already used in {export} row 2 (an idTechnique is unique per emitter)"
    )
    assert result.errors[2].message == (
        f"already used in {export} row 3 (an idTechnique is unique per emitter)"
    )
    [built] = result.files
    tree = etree.parse(str(built.path))
    ns = {"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}
    found = [
        (c.findtext("cpf:code", namespaces=ns), c.xpath(".//cpf:idTechnique/text()", namespaces=ns))
        for c in tree.iterfind(".//cpf:certification", ns)
    ]
    assert found == [("RNCP11111", ["A", "D"]), ("RNCP22222", ["B"])]
    assert oracle["1.1.5"].validate(tree)


def test_build_through_pool_refuses_same_holder_across_blocks(tmp_path, monkeypatch):
    """The same holder and certification under another id, in another block: refused."""
    monkeypatch.setattr(pipeline, "POOL_BYTES", 0)
    monkeypatch.setattr(pipeline, "BLOCK", 2)
    rows = [{"idTechnique": f"R{index}"} for index in range(6)]
    rows.append({"idTechnique": "X9", "prenom1": holder_for("R1")})
    export = write_csv(tmp_path / "export.csv", rows)
    result = _build(export, tmp_path)
    assert (result.valid, result.rejected) == (6, 1)
    assert [(e.row, e.field, e.value) for e in result.errors] == [(8, "idTechnique", "X9")]
    assert result.errors[0].message.startswith(
        "the same holder and certification are on row 3 under another idTechnique"
    )
    assert result.passages == 6
