"""Issue 11, inputs, end to end: real `accrochage deposit now` runs against the replica.

A malformed workbook in the inbox made every later run crash (nothing else imported, nothing
collected); a file still being written was imported partially (110 of 500 rows).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import Agent, rows_for, uploaded_ids
from tests.sandbox_server import SandboxHandle
from tests.unit.builders_input.test_xlsx_hostile import hostile_export

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_e2e_malformed_xlsx_set_aside_others_deposited(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """A broken workbook goes to failed/; the good export beside it is deposited and accepted."""
    hostile_export(agent.data_dir / "inbox", "shared-string-out-of-range")
    agent.drop("export.csv", rows_for("SIDE", 3))
    done = agent.run("deposit", "now", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shared-string-out-of-range.xlsx: NOT imported" in done.stdout
    name = "shared-string-out-of-range.xlsx"
    assert f"  NOT imported {name}: {name}: row 2: unreadable sheet" in done.stdout
    assert f"    set aside: {agent.data_dir / 'inbox' / 'failed' / name} (reason in " in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert agent.json("status")["passages"] == {"accepted": 3}
    assert sorted(i for i in uploaded_ids(sandbox) if i.startswith("SIDE")) == [
        f"SIDE-{i:03d}" for i in range(3)
    ]
    failed = agent.data_dir / "inbox" / "failed"
    reason = (failed / "shared-string-out-of-range.xlsx.reason.txt").read_text(encoding="utf-8")
    assert "row 2: unreadable sheet (IndexError" in reason
    log = agent.run("log").stdout
    assert "shared-string-out-of-range.xlsx: not imported, set aside in failed/" in log
    again = agent.run("deposit", "now")
    assert again.returncode == 0, again.stdout + again.stderr


def test_e2e_file_being_written_imported_whole(agent: Agent, sandbox: SandboxHandle) -> None:
    """An export still open for writing is left alone; closed, every one of its rows is sent."""
    path = agent.drop("export.csv", rows_for("HALF", 20))
    script = "import sys; f = open(sys.argv[1], 'a'); print('open', flush=True); sys.stdin.read()"
    writer = subprocess.Popen(
        [sys.executable, "-c", script, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"open\n"
        first = agent.run("deposit", "now")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "export.csv: still being written; left for the next run" in first.stdout
        assert agent.json("status")["passages"] == {}
    finally:
        writer.communicate(b"", timeout=60)
    done = agent.run("deposit", "now", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert agent.json("status")["passages"] == {"accepted": 20}
    assert sorted(i for i in uploaded_ids(sandbox) if i.startswith("HALF")) == [
        f"HALF-{i:03d}" for i in range(20)
    ]
