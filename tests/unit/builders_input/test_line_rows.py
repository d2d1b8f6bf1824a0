"""A plain CSV's rows travel to the pool as its lines, and come back as the rows it holds."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import pytest

from builders.errors import BuildError
from builders.exports.importer import open_rows
from builders.exports.sheet import LineRows, RawRow, unread
from builders.exports.template_xlsx import LABELS
from builders.flux import pipeline
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import GOOD_ROW


def _write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(";".join(columns) + "\n")
        for row in rows:
            handle.write(";".join(row.get(name, "") for name in columns) + "\n")
    return path


def _rows(count: int) -> list[dict[str, str]]:
    return [{**GOOD_ROW, "idTechnique": f"L{n}", "prenom1": f"P{n}"} for n in range(count)]


def _read(path: Path, settings: BuildSettings) -> tuple[list[RawRow], bool, list[pipeline.Packed]]:
    """(rows as iterated, whether they came as LineRows, the chunks sent to a pool)."""
    with open_rows(path, settings, report=False) as (_, rows, _):
        iterated = list(rows)
    with open_rows(path, settings, report=False) as (_, rows, _):
        lines = isinstance(rows, LineRows)
        chunks = list(pipeline.packed_chunks(rows, 3))
    return iterated, lines, chunks


def _sent(chunks: list[pipeline.Packed]) -> list[RawRow]:
    back = [pickle.loads(pickle.dumps(c)) for c in chunks]  # noqa: S301 - our own data
    return [row for chunk in back for row in pipeline.unpacked(chunk)]


def test_lines_travel_unsplit_and_come_back_as_the_rows(tmp_path: Path) -> None:
    """A blank line is counted, not sent; cells keep their spaces and empty cells."""
    rows = _rows(8)
    rows[2]["nomUsage"] = "  de la Tour "
    path = _write(tmp_path / "export.csv", rows, [*GOOD_ROW, "nomUsage"])
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*text[:4], ";;\n", *text[4:]]), encoding="utf-8")
    iterated, lines, chunks = _read(path, BuildSettings())
    assert lines
    assert all(isinstance(chunk, tuple) and len(chunk) == 3 for chunk in chunks)
    assert _sent(chunks) == iterated
    assert [number for number, _ in iterated] == [2, 3, 4, *range(6, 11)]
    assert "  de la Tour " in iterated[2][1]


def test_the_template_label_row_is_left_out_and_lines_still_travel(tmp_path: Path) -> None:
    columns = list(GOOD_ROW)
    labels = {name: LABELS.get(name, "") for name in columns}
    path = _write(tmp_path / "export.csv", [labels, *_rows(5)], columns)
    iterated, lines, chunks = _read(path, BuildSettings())
    assert lines
    assert [number for number, _ in iterated] == [3, 4, 5, 6, 7]
    assert _sent(chunks) == iterated


def test_rows_sampled_for_an_outcome_column_come_first_again(tmp_path: Path) -> None:
    """Without an admis column, the first rows are looked at for an outcome column, then
    given back: every row is read once, in order, still as lines."""
    columns = [name for name in GOOD_ROW if name != "admis"]
    path = _write(tmp_path / "export.csv", _rows(30), columns)
    iterated, lines, chunks = _read(path, BuildSettings())
    assert lines
    assert [number for number, _ in iterated] == list(range(2, 32))
    assert _sent(chunks) == iterated


def test_a_quoted_csv_travels_as_cells(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(GOOD_ROW), delimiter=";")
        writer.writeheader()
        for row in _rows(4):
            writer.writerow({**row, "nomNaissance": 'Dupont; dit "Le Grand"'})
    iterated, lines, chunks = _read(path, BuildSettings())
    assert not lines
    assert _sent(chunks) == iterated
    assert iterated[0][1][list(GOOD_ROW).index("nomNaissance")] == 'Dupont; dit "Le Grand"'


def test_unread_rows_come_next_as_lines() -> None:
    checked: list[int] = []
    rows = LineRows(iter([(2, "a;b"), (3, "c;;d"), (5, "e")]), ";", lambda n, _t: checked.append(n))
    first = [next(rows), next(rows)]
    assert first == [(2, ["a", "b"]), (3, ["c", "", "d"])]
    assert unread(rows, first) is rows
    assert rows.take_lines(2) == ([2, 3], ["a;b", "c;;d"])
    assert list(rows) == [(5, ["e"])]
    assert rows.take_lines(4) == ([], [])
    assert checked == [2, 3, 2, 3, 5]
    other = iter([(1, ["x"])])
    assert list(unread(other, [(0, ["w"])])) == [(0, ["w"]), (1, ["x"])]


def test_a_line_longer_than_the_field_limit_is_refused_before_it_travels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(4)
    rows[2]["nomNaissance"] = "N" * 300
    path = _write(tmp_path / "export.csv", rows, list(GOOD_ROW))
    monkeypatch.setattr(csv, "field_size_limit", lambda: 200)
    with (
        pytest.raises(BuildError, match=r"row 4: unreadable CSV \(field larger than field limit"),
        open_rows(path, BuildSettings(), report=False) as (_, lines, _),
    ):
        list(pipeline.packed_chunks(lines, 10))
