"""Issue 11, inputs: the inbox against bad, hostile, half-written and shared files.

Each test failed on the code before the fix: a malformed XLSX stopped every later run, a file
still being written was imported partially, a symlink brought in data from outside the inbox,
two agents sharing an inbox imported the same file twice, and a newline in a file name forged
a log line.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import agent.import_rows as import_rows_module
import agent.inbox as inbox_module
from agent import inbox_scan
from agent.cli import cli
from agent.config import AgentSettings, Config
from agent.context import RunContext
from agent.import_rows import ImportedRow
from agent.inbox import ImportResult, import_inbox
from agent.inbox_scan import Clock
from agent.paths import AgentPaths
from agent.store import Store
from builders.exports.columns import CANONICAL
from builders.exports.headers import Notice
from tests.agent.helpers import inbox, make_config, row, write_export
from tests.unit.builders_input.test_xlsx_hostile import HOSTILE, hostile_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def run_import(config: Config, lines: list[str] | None = None) -> list[ImportResult]:
    """One import of the inbox, as a run does it; progress lines go to ``lines``."""
    sink = [] if lines is None else lines
    with Store.open(AgentPaths.from_config(config).db, now=lambda: NOW) as store:
        return import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=sink.append))


def events(config: Config) -> list[tuple[str, str]]:
    """(kind, message) of every event."""
    with Store.open(AgentPaths.from_config(config).db) as store:
        return [(e.kind, e.message) for e in store.events(limit=1000)]


def pending_ids(config: Config) -> set[str]:
    """The idTechniques of the store's passages."""
    with Store.open(AgentPaths.from_config(config).db) as store:
        return {p.id_technique for p in store.passages()}


def test_inbox_malformed_xlsx_set_aside_others_imported(tmp_path: Path) -> None:
    """Every kind of malformed XLSX goes to failed/ with its reason; good files still import."""
    config = make_config(tmp_path)
    for kind in HOSTILE:
        hostile_export(inbox(config), kind)
    write_export(inbox(config) / "zz-good.csv", [row("G1"), row("G2")])
    results = run_import(config)
    assert pending_ids(config) == {"G1", "G2"}
    failed = {r.file: r.failure for r in results if r.failure}
    assert all(r.valid == r.rows == 0 for r in results if r.failure), "nothing of them counted"
    assert set(failed) == {f"{kind}.xlsx" for kind in HOSTILE}
    for kind, (_, _, reason) in HOSTILE.items():
        reason_file = inbox(config) / "failed" / f"{kind}.xlsx.reason.txt"
        assert (inbox(config) / "failed" / f"{kind}.xlsx").exists()
        assert reason_file.read_text(encoding="utf-8").startswith(f"{kind}.xlsx: not imported")
        assert any(
            k == "import_failed" and m.startswith(f"{kind}.xlsx: ") for k, m in events(config)
        )
        message = failed[f"{kind}.xlsx"] or ""
        assert re.search(reason, message)
        assert str(tmp_path) not in message, "names the file, not the claimed copy's path"
    assert run_import(config) == []  # the next run is not stopped by them


def test_deposit_now_survives_malformed_xlsx(tmp_path: Path) -> None:
    """``deposit now`` with a broken workbook in the inbox ends normally and names the file."""
    config_path = tmp_path / "accrochage.toml"
    config_path.write_text('[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n', encoding="utf-8")
    folder = tmp_path / "data" / "inbox"
    hostile_export(folder, "text-date-cell")
    result = CliRunner().invoke(cli, ["--config", str(config_path), "deposit", "now"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "text-date-cell.xlsx: NOT imported: text-date-cell.xlsx: row 2: unreadable" in (
        result.output
    )
    assert (folder / "failed" / "text-date-cell.xlsx").exists()


def test_inbox_file_open_for_writing_waits(tmp_path: Path) -> None:
    """A file another process still writes is left alone; once closed it is imported whole."""
    config = make_config(tmp_path)
    path = write_export(inbox(config) / "export.csv", [row(f"W{i}") for i in range(3)])
    script = "import sys; f = open(sys.argv[1], 'a'); print('open', flush=True); sys.stdin.read()"
    writer = subprocess.Popen(  # holds the file open for writing until told to stop
        [sys.executable, "-c", script, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"open\n"
        lines: list[str] = []
        assert run_import(config, lines) == []
        assert lines == ["export.csv: still being written; left for the next run"]
        assert path.exists() and pending_ids(config) == set()
    finally:
        writer.communicate(b"", timeout=60)
    [result] = run_import(config)
    assert result.valid == 3 and pending_ids(config) == {"W0", "W1", "W2"}


class _GrowingClock:
    """A clock whose every sleep advances time and appends a line to the file being watched."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("\n")


def test_inbox_settle_time_defers_a_growing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose size keeps changing during the settle time waits for the next run."""
    base = make_config(tmp_path)
    config = base.model_copy(update={"agent": base.agent.model_copy(update={"inbox_settle_s": 2})})
    path = write_export(inbox(config) / "growing.csv", [row("S1")])
    clock = _GrowingClock(path)
    fake = Clock(wall=lambda: path.stat().st_mtime, monotonic=clock.monotonic, sleep=clock.sleep)
    monkeypatch.setattr(inbox_module, "settled", functools.partial(inbox_scan.settled, clock=fake))
    lines: list[str] = []
    assert run_import(config, lines) == []
    assert lines == ["growing.csv: still being written; left for the next run"]
    assert clock.now - 1_000.0 >= 4 * 2  # it waited the whole patience
    monkeypatch.undo()
    os.utime(path, (0, 0))  # unchanged for long now
    [result] = run_import(config)
    assert result.valid == 1 and pending_ids(config) == {"S1"}


def test_inbox_symlink_refused_unless_configured(tmp_path: Path) -> None:
    """A symlink to a file outside the inbox is refused (reported once); allowed, it imports."""
    config = make_config(tmp_path)
    outside = write_export(tmp_path / "elsewhere" / "secret.csv", [row("L1")])
    (inbox(config) / "link.csv").symlink_to(outside)
    lines: list[str] = []
    assert run_import(config, lines) == []
    assert len(lines) == 1 and lines[0].startswith("link.csv: symbolic link refused")
    assert run_import(config, lines) == [] and len(lines) == 1  # reported once
    assert [k for k, _ in events(config)] == ["inbox_unhandled"]
    assert pending_ids(config) == set()
    allowed = config.model_copy(
        update={"agent": config.agent.model_copy(update={"inbox_follow_symlinks": True})}
    )
    [result] = run_import(allowed)
    assert result.valid == 1 and pending_ids(config) == {"L1"}
    assert outside.exists()


def test_inbox_unhandled_entries_reported_once_and_in_status(tmp_path: Path) -> None:
    """.xls, folders, FIFOs, hidden files and undecodable names: one event each, in status."""
    config = make_config(tmp_path)
    folder = inbox(config)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "sub").mkdir()
    os.mkfifo(folder / "pipe.csv")
    (folder / ".hidden.csv").write_text("x", encoding="utf-8")
    (folder / os.fsdecode(b"caf\xe9.csv")).write_text("x", encoding="latin-1")
    (folder / "drop.csv.part").write_text("x", encoding="utf-8")
    lines: list[str] = []
    assert run_import(config, lines) == []
    assert run_import(config, lines) == []
    assert sorted(lines) == [
        ".hidden.csv: hidden file (name starting with '.'): not imported",
        "caf\\xe9.csv: the name is not valid UTF-8: rename the file to import it",
        "old.xls: old Excel .xls workbook: not read; save it as .xlsx",
        "pipe.csv: not a regular file (FIFO): not imported",
        "sub: folder: not imported (only files directly in the inbox)",
    ]
    assert len(events(config)) == 5
    config_path = tmp_path / "accrochage.toml"
    config_path.write_text(f'[agent]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    status = CliRunner().invoke(cli, ["--config", str(config_path), "status", "--json"])
    names = [n["name"] for n in json.loads(status.output)["inbox_unhandled"]]
    assert names == [".hidden.csv", "caf\\xe9.csv", "old.xls", "pipe.csv", "sub"]
    (folder / "old.xls").unlink()
    run_import(config, lines)
    status = CliRunner().invoke(cli, ["--config", str(config_path), "status"])
    assert "Inbox entries not imported:" in status.output
    section = status.output.split("Inbox entries not imported:")[1].split("Last events:")[0]
    assert "  sub: folder: not imported" in section
    assert "old.xls" not in section


def test_inbox_control_characters_escaped(tmp_path: Path) -> None:
    """A newline or escape sequence in a file name never reaches a log, event or console line."""
    config = make_config(tmp_path)
    evil = "evil\nERROR forged line\x1b[2J.csv"
    (inbox(config) / evil).write_text("nothing;useful\n1;2\n", encoding="utf-8")
    lines: list[str] = []
    [result] = run_import(config, lines)
    assert result.file == "evil\\nERROR forged line\\x1b[2J.csv"
    shown = [*lines, *(m for _, m in events(config))]
    assert shown and all("\n" not in text and "\x1b" not in text for text in shown)
    assert lines[0].startswith("evil\\nERROR forged line\\x1b[2J.csv: NOT imported")


def _agent(inbox_dir: Path, data_dir: Path, start: object, out: object) -> None:
    """One agent importing the shared inbox (child process)."""
    config = Config(agent=AgentSettings(data_dir=data_dir, inbox_dir=inbox_dir, inbox_settle_s=0))
    start.wait()  # type: ignore[attr-defined]
    results = run_import(config)
    out.put(sorted(r.file for r in results if r.valid))  # type: ignore[attr-defined]


def test_inbox_two_agents_never_import_one_file_twice(tmp_path: Path) -> None:
    """Two agents racing on one inbox: every file is imported by exactly one of them."""
    shared = tmp_path / "shared-inbox"
    names = [f"export-{i:02d}.csv" for i in range(16)]
    for i, name in enumerate(names):
        write_export(shared / name, [row(f"R{i}-{j}") for j in range(20)])
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    agents = [
        context.Process(target=_agent, args=(shared, tmp_path / f"agent{n}", start, out))
        for n in (1, 2)
    ]
    for agent in agents:
        agent.start()
    start.set()
    imported = [out.get(timeout=120), out.get(timeout=120)]
    for agent in agents:
        agent.join(60)
        assert agent.exitcode == 0
    assert sorted(imported[0] + imported[1]) == names
    assert not set(imported[0]) & set(imported[1])
    stores = [
        pending_ids(Config(agent=AgentSettings(data_dir=tmp_path / f"agent{n}"))) for n in (1, 2)
    ]
    assert not stores[0] & stores[1]
    assert len(stores[0] | stores[1]) == 16 * 20


def test_inbox_file_changed_while_read_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows appended while the file is read: nothing kept, the file waits; next run: all rows."""
    config = make_config(tmp_path)
    write_export(inbox(config) / "export.csv", [row("C1"), row("C2")])
    real = import_rows_module.imported_rows

    def rows_appending(path: Path, rows: Iterator[ImportedRow]) -> Iterator[ImportedRow]:
        for number, result in enumerate(rows):
            if number == 0:
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(";".join(row("C3").get(k, "") for k in CANONICAL) + "\n")
            yield result

    @contextmanager
    def appending(
        path: Path, *args: Any, **kwargs: Any
    ) -> Iterator[tuple[list[Notice], Iterator[ImportedRow]]]:
        with real(path, *args, **kwargs) as (notices, rows):
            yield notices, rows_appending(path, rows)

    monkeypatch.setattr(inbox_module, "imported_rows", appending)
    [result] = run_import(config)
    assert result.deferred and result.valid == 0 and pending_ids(config) == set()
    assert ("import_deferred", f"export.csv: {result.failure}") in events(config)
    claimed = AgentPaths.from_config(config).claims / "export.csv"
    assert claimed.exists() and not (inbox(config) / "export.csv").exists()
    monkeypatch.undo()
    [again] = run_import(config)  # a claimed file left over is imported by the next run
    assert again.valid == 3 and pending_ids(config) == {"C1", "C2", "C3"}
    assert not claimed.exists() and (inbox(config) / "imported" / "export.csv").exists()


def test_inbox_hash_is_of_the_bytes_imported(tmp_path: Path) -> None:
    """The recorded SHA-256 is the one of the file as imported (and moved aside)."""
    config = make_config(tmp_path)
    write_export(inbox(config) / "export.csv", [row("H1")])
    run_import(config)
    moved = inbox(config) / "imported" / "export.csv"
    with Store.open(AgentPaths.from_config(config).db) as store:
        [source] = store.sources()
    assert source.sha256 == hashlib.sha256(moved.read_bytes()).hexdigest()


def test_inbox_claimed_entry_swapped_for_link_or_fifo_never_read(tmp_path: Path) -> None:
    """An entry that became a symlink or a FIFO after the scan is set aside unopened."""
    config = make_config(tmp_path)
    claims = AgentPaths.from_config(config).claims
    claims.mkdir(parents=True)
    outside = write_export(tmp_path / "elsewhere" / "secret.csv", [row("X1")])
    (claims / "link.csv").symlink_to(outside)
    os.mkfifo(claims / "pipe.csv")  # opening it for reading would block forever
    inbox(config)
    results = run_import(config)
    assert sorted((r.file, r.failure) for r in results) == [
        (name, "no longer a regular file (replaced while the inbox was read): not read")
        for name in ("link.csv", "pipe.csv")
    ]
    assert pending_ids(config) == set()
    assert sorted(p.name for p in (inbox(config) / "failed").iterdir()) == [
        "link.csv",
        "link.csv.reason.txt",
        "pipe.csv",
        "pipe.csv.reason.txt",
    ]
