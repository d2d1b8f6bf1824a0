"""Hostile and broken XLSX exports: refused with a message naming the file, never a crash.

Issue 11: a DOCTYPE/entity, a billion-laughs payload, broken XML, a text date cell or an
out-of-range shared-string index raised ParseError/ValueError/IndexError out of the reader, and
a 2 MB workbook holding 580 MB of shared strings took 1.3 GB of memory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from builders.errors import BuildError
from builders.exports import xlsxguard
from builders.exports.formats import read_rows
from tests.conftest import ROOT
from tests.xlsxkit import SHEET, STRINGS, export_parts, write_bomb, write_xlsx

_LAUGHS = (
    '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
    + "]>"
)


def _prolog(text: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"?>", b"?>" + text.encode(), 1)


def _cell_b2(replacement: bytes) -> Callable[[bytes], bytes]:
    return lambda data: re.sub(rb'<c r="B2" t="s"><v>\d+</v>', replacement, data, count=1)


HOSTILE = {
    "doctype": (SHEET, _prolog('<!DOCTYPE x [<!ENTITY e "boom">]>'), "declares a DOCTYPE"),
    "billion-laughs": (STRINGS, _prolog(_LAUGHS), "declares a DOCTYPE"),
    "external-entity": (
        STRINGS,
        _prolog('<!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/hostname">]>'),
        "declares a DOCTYPE",
    ),
    "broken-sheet": (SHEET, lambda data: data[: len(data) // 2], "not a readable XLSX"),
    "broken-strings": (STRINGS, lambda data: data[:-20], "not well-formed XML"),
    "broken-workbook": ("xl/workbook.xml", lambda data: data[:70], "not well-formed XML"),
    "text-date-cell": (
        SHEET,
        _cell_b2(b'<c r="B2" t="d"><v>hello</v>'),
        r"row 2: unreadable sheet \(ValueError",
    ),
    "text-date-cell-newline": (  # the cell's text is quoted in the message: escaped
        SHEET,
        _cell_b2(b'<c r="B2" t="d"><v>x&#10;ERROR forged</v>'),
        r"row 2: unreadable sheet \(ValueError: Invalid datetime value x\\nERROR forged\)",
    ),
    "shared-string-out-of-range": (
        SHEET,
        _cell_b2(b'<c r="B2" t="s"><v>99999</v>'),
        r"row 2: unreadable sheet \(IndexError",
    ),
}


def hostile_export(folder: Path, kind: str) -> Path:
    """An export of two valid rows with one part broken the ``kind`` way."""
    part, mutate, _ = HOSTILE[kind]
    parts = export_parts(["H1", "H2"])
    return write_xlsx(folder / f"{kind}.xlsx", {**parts, part: mutate(parts[part])})


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_xlsx_hostile_part_is_the_files_error(tmp_path: Path, kind: str) -> None:
    """Each malformed workbook raises BuildError naming the file and what is wrong."""
    path = hostile_export(tmp_path, kind)
    with pytest.raises(BuildError, match=HOSTILE[kind][2]) as caught:
        list(read_rows(path))
    assert str(path) in str(caught.value)


def test_xlsx_valid_export_still_reads(tmp_path: Path) -> None:
    """The guard lets an ordinary workbook through, every row intact."""
    path = write_xlsx(tmp_path / "ok.xlsx", export_parts(["A1", "A2", "A3"]))
    assert [cells["idTechnique"] for _, cells in read_rows(path)] == ["A1", "A2", "A3"]


def test_xlsx_expanding_part_refused_as_bomb(tmp_path: Path) -> None:
    """A part that expands more than MAX_RATIO times is refused before openpyxl opens it."""
    parts = export_parts(["A1"])
    padded = parts["xl/workbook.xml"].replace(b"<sheets>", b" " * (3 << 20) + b"<sheets>")
    path = write_xlsx(tmp_path / "padded.xlsx", {**parts, "xl/workbook.xml": padded})
    with pytest.raises(BuildError, match=r"possible zip bomb: the part xl/workbook.xml expands"):
        list(read_rows(path))


def test_xlsx_strings_over_declared_limit_refused(tmp_path: Path) -> None:
    """Shared strings declared larger than MAX_STRINGS_BYTES are refused, naming the part."""
    path = write_bomb(tmp_path / "bomb.xlsx", xlsxguard.MAX_STRINGS_BYTES + (1 << 20))
    expected = r"the part xl/sharedStrings.xml expands to 64.8 MB, above the 64.0 MB limit"
    with pytest.raises(BuildError, match=expected):
        list(read_rows(path))


def test_xlsx_too_many_strings_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More shared strings than MAX_STRINGS are refused (counted by a streaming pass)."""
    monkeypatch.setattr(xlsxguard, "MAX_STRINGS", 20)
    path = write_xlsx(tmp_path / "many.xlsx", export_parts([f"S{i}" for i in range(10)]))
    with pytest.raises(BuildError, match="more than 20 distinct texts"):
        list(read_rows(path))


def test_xlsx_too_many_cells_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheet's cells (empty padding included) are capped while it streams."""
    monkeypatch.setattr(xlsxguard, "MAX_CELLS", 200)
    parts = export_parts([f"C{i}" for i in range(10)])
    path = write_xlsx(tmp_path / "wide.xlsx", parts)
    with pytest.raises(BuildError, match=r"refused at row \d+: the sheet holds more than 200"):
        list(read_rows(path))


# The child caps its own address space (the old reader took 1.3 GB on a smaller bomb: stop it
# well before) and reports VmHWM, the peak resident size of its own memory since exec (unlike
# ru_maxrss, which keeps the peak of the forking parent).
def test_xlsx_too_many_rows_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows past MAX_ROWS (Excel's limit), empty ones included, are refused while streaming."""
    monkeypatch.setattr(xlsxguard, "MAX_ROWS", 5)
    path = write_xlsx(tmp_path / "long.xlsx", export_parts([f"L{i}" for i in range(10)]))
    with pytest.raises(BuildError, match=r"refused at row 6: a sheet has at most 5 rows"):
        list(read_rows(path))


def test_xlsx_part_name_escaped(tmp_path: Path) -> None:
    """A part name with a newline is shown escaped in the refusal."""
    parts = export_parts(["A1"])
    path = write_xlsx(tmp_path / "named.xlsx", {**parts, "evil\nERROR x.xml": b" " * (3 << 20)})
    with pytest.raises(BuildError, match=r"the part evil\\nERROR x.xml expands") as caught:
        list(read_rows(path))
    assert "\n" not in str(caught.value)


_CHILD = """
import json, resource, sys
from pathlib import Path
cap = 1536 << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from builders.errors import BuildError
from builders.exports.formats import read_rows
try:
    rows = sum(1 for _ in read_rows(Path(sys.argv[1])))
    outcome = f"read {rows} rows"
except BuildError as exc:
    outcome = str(exc)
except MemoryError:
    outcome = "MemoryError"
status = Path("/proc/self/status").read_text()
peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "peak_mb": peak // 1024}))
"""


def test_xlsx_bomb_memory_stays_flat(tmp_path: Path) -> None:
    """A 300 MB shared-strings bomb is refused in a process whose peak memory stays small."""
    path = write_bomb(tmp_path / "bomb.xlsx", 300 << 20)
    assert path.stat().st_size < 2 << 20
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "refused" in result["outcome"]
    assert "xl/sharedStrings.xml" in result["outcome"]
    assert result["peak_mb"] < 150
