"""The agent's import of a large export by a process pool gives what one process gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from agent import import_rows
from agent.config import Config
from agent.import_rows import ImportedRow, imported_rows
from agent.intake import new_passage
from builders.exports.importer import import_file
from builders.flux import parallel, pipeline
from tests.agent.helpers import make_config, row, write_export

TODAY = dt.date(2026, 11, 30)


def _messy(path: Path) -> Path:
    """Valid rows around every case the checks across rows decide, spread over chunks."""
    rows = [row(f"V{n:03d}") for n in range(40)]
    rows[3] = row("V001", prenom1="Autre")  # V001 reused by a valid row
    rows[7] = row("D7", prenom1=rows[5]["prenom1"])  # V005's holder under another id
    rows[11] = row("B11", sexe="X")  # a bad row
    rows[12] = row("B11", prenom1="Bis")  # its id again: a bad row's id is not taken
    rows[15] = row("S15", admis="non")  # skipped
    rows[20] = row("V019", sexe="X")  # an id already used, on a bad row
    rows[25] = row("F25", dateDebutValidite="01/01/2099")  # plausibility: in the future
    rows[26] = row("F25", prenom1="Ter")  # that id again
    rows[33] = row("V030", prenom1=rows[30]["prenom1"])  # exactly V030's row again
    return write_export(path, rows)


def _all_rows(path: Path, config: Config) -> list[ImportedRow]:
    with imported_rows(path, config, today=TODAY, source_id=7) as (_, rows):
        return list(rows)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_the_pool_gives_what_one_process_gives(
    config: Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    pools_started: list[int],
) -> None:
    """Forked pool processes, and those of a fork server (the service's scheduler runs other
    threads: forking is then never done)."""
    monkeypatch.setattr(parallel, "START", start)
    path = _messy(tmp_path / "export.csv")
    alone = _all_rows(path, config)
    monkeypatch.setattr(pipeline, "POOL_BYTES", 0)
    monkeypatch.setattr(import_rows, "BLOCK", 3)  # many chunks, each crossing a process
    pooled = _all_rows(path, config)
    assert pools_started == [2]
    assert parallel.forking() is (start == "fork")
    assert pooled == alone
    assert sum(1 for _, new in pooled if new is not None) == 32


def test_rows_are_those_of_import_file_with_their_passages(config: Config, tmp_path: Path) -> None:
    """Each result is import_file's (record dropped for the valid ones, which come with the
    passage the store keeps for them), in file order."""
    path = _messy(tmp_path / "export.csv")
    expected = list(
        import_file(
            path,
            declarant=config.declarant,
            settings=config.build,
            report=False,
            today=TODAY,
            data_dir=config.agent.data_dir,
        )
    )
    got = _all_rows(path, config)
    assert len(got) == len(expected) == 40
    for (result, new), reference in zip(got, expected, strict=True):
        if reference.record is None:
            assert (result, new) == (reference, None)
        else:
            assert result == dataclasses.replace(reference, record=None)
            assert new == new_passage(reference.record, 7, reference.row, reference.holder_key)
    rejected = {r.row: [(e.field, e.message) for e in r.errors] for r, _ in got if r.errors}
    reused = [("idTechnique", "an earlier row of this file has the same idTechnique")]
    assert rejected[5] == rejected[28] == rejected[35] == reused
    [(field, message)] = rejected[9]
    assert field == "idTechnique" and "the same holder and certification are on row 7" in message
    assert [field for field, _ in rejected[13]] == [field for field, _ in rejected[22]] == ["sexe"]
    assert [field for field, _ in rejected[27]] == ["dateDebutValidite"]
    assert sorted(rejected) == [5, 9, 13, 22, 27, 28, 35]
    assert [r.row for r, _ in got if r.skipped] == [17]


def test_a_valid_row_rejected_by_a_check_gets_the_check_message(
    config: Config, tmp_path: Path
) -> None:
    """A holder named Somme in a sparse export is a candidate, not a totals row: when a check
    across rows rejects its row, the message is the check's."""
    first = row("S1", nomNaissance="Somme")
    rows = [first, {**first, "idTechnique": "S2"}]
    path = write_export(tmp_path / "export.csv", rows)
    # Notes columns the certifier leaves empty: the rows fill fewer than half their cells.
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = ";".join(f"Note {n}" for n in range(60))
    path.write_text(
        f"{lines[0]};{extra}\n" + "".join(f"{line}{';' * 60}\n" for line in lines[1:]),
        encoding="utf-8",
    )
    got = _all_rows(path, config)
    [(field, message)] = [(e.field, e.message) for e in got[1][0].errors]
    assert field == "idTechnique"
    assert "the same holder and certification are on row 2" in message
    assert got[0][1] is not None and got[1][1] is None
