"""Fuzzing XLSX exports: whatever the archive holds, reading it yields rows or a BuildError.

Hypothesis mutates a valid export three ways: bytes of the zip itself, fragments spliced into
the sheet or shared-strings XML (hostile snippets: DTDs, entities, bad cell types, indexes
out of range, huge row or column numbers...), and truncations. No other exception may escape
a file's import (issue 11: ParseError, ValueError and IndexError did).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.context import RunContext
from agent.inbox import import_inbox
from agent.paths import AgentPaths
from agent.store import Store
from builders.errors import BuildError
from builders.exports.importer import import_file
from builders.settings import BuildSettings, Declarant
from tests.agent.helpers import make_config
from tests.xlsxkit import SHEET, STRINGS, export_parts, write_xlsx

BASE = export_parts(["F1", "F2"])
SNIPPETS = [
    b'<!DOCTYPE x [<!ENTITY e "boom">]>',
    b"&e;",
    b"&#0;",
    b'<c r="B2" t="d"><v>not a date</v></c>',
    b'<c r="B2" t="s"><v>-1</v></c>',
    b'<c r="B2" t="s"><v>999999</v></c>',
    b'<c r="B2" t="n"><v>1e400</v></c>',
    b'<c r="B2" t="b"><v>2</v></c>',
    b'<c r="B2" t="e"><v>#REF!</v></c>',
    b'<c r="B2" s="9999"><v>45000</v></c>',
    b'<c r="XFD2"><v>1</v></c>',
    b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
    b'<row r="0">',
    b"</row>",
    b"<si><t>x</t></si>",
    b"<si>",
    b"]]>",
    b"\xff\xfe",
    b"\x00",
    b'<c r="A" t="inlineStr"><is><t>x</t></is></c>',
]
_MEMBERS = sorted(BASE)


def _read(path: Path) -> None:
    """Read every row; only BuildError may escape."""
    try:
        for _ in import_file(path, declarant=Declarant(), settings=BuildSettings()):
            pass
    except BuildError:
        pass


@st.composite
def spliced_parts(draw: st.DrawFn) -> dict[str, bytes]:
    """The valid export with hostile fragments spliced into, or cut from, one XML part."""
    member = draw(st.sampled_from([SHEET, STRINGS, *_MEMBERS]))
    data = BASE[member]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            piece = draw(st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=12)))
            data = data[:at] + piece + data[at:]
        else:
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
    return {**BASE, member: data}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spliced_parts())
def test_fuzz_xlsx_spliced_parts_never_crash(parts: dict[str, bytes]) -> None:
    """Hostile fragments in any XML part: rows or a BuildError, nothing else."""
    with TemporaryDirectory() as folder:
        _read(write_xlsx(Path(folder) / "fuzz.xlsx", parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_xlsx_archive_bytes_never_crash(data: st.DataObject) -> None:
    """Flipped, inserted or cut bytes anywhere in the zip: rows or a BuildError."""
    with TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "fuzz.xlsx", BASE)
        raw = bytearray(path.read_bytes())
        for _ in range(data.draw(st.integers(1, 6))):
            at = data.draw(st.integers(0, len(raw) - 1))
            action = data.draw(st.sampled_from(["flip", "insert", "cut"]))
            if action == "flip":
                raw[at] ^= data.draw(st.integers(1, 255))
            elif action == "insert":
                raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
            else:
                del raw[at : at + data.draw(st.integers(1, 64))]
        path.write_bytes(bytes(raw))
        _read(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spliced_parts())
def test_fuzz_xlsx_inbox_import_never_raises(parts: dict[str, bytes]) -> None:
    """Through the inbox: the file ends imported or set aside, and a good file beside it imports."""
    with TemporaryDirectory() as folder:
        config = make_config(Path(folder))
        inbox = config.agent.inbox
        write_xlsx(inbox / "a-fuzz.xlsx", parts)
        write_xlsx(inbox / "b-good.xlsx", export_parts(["G1"]))
        now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        with Store.open(AgentPaths.from_config(config).db) as store:
            results = import_inbox(
                store, RunContext.create(config, now=lambda: now, progress=lambda _line: None)
            )
            assert store.passage("12ABC345", "G1") is not None
        fuzzed, good = results
        assert good.failure is None and good.valid == 1
        where = "failed" if fuzzed.failure else "imported"
        assert (inbox / where / "a-fuzz.xlsx").exists()
        assert sorted(p.name for p in inbox.iterdir()) == sorted({"imported", where})
