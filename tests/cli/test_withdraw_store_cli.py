"""withdraw, correct and redeclare amend an existing store: without one they say where they
looked and create nothing (as status, log and rejects do)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli


@pytest.mark.parametrize(
    "command",
    [["withdraw", "A1"], ["withdraw", "--at-cdc", "A1"], ["correct", "A1"], ["redeclare", "A1"]],
)
def test_amending_commands_never_invent_a_store(tmp_path: Path, command: list[str]) -> None:
    """No store in the data directory: exit 1 with where it looked; no store file appears."""
    config = tmp_path / "accrochage.toml"
    config.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), *command, "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no agent data at {tmp_path / 'data'} (config: {config}): check [agent] "
        "data_dir, or run `accrochage deposit now` to start\n"
    )
    assert not (tmp_path / "data").exists()
