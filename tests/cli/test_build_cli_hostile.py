"""``build`` with a malformed or hostile XLSX: exit 2 and a message naming the file, no traceback.

Issue 11: such a workbook raised ParseError/ValueError/IndexError out of ``build``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from tests.unit.builders_input.test_xlsx_hostile import HOSTILE, hostile_export
from tests.unit.builders_output.conftest import write_csv


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose data dir is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_build_cli_hostile_xlsx_is_unusable_input(config: Path, tmp_path: Path, kind: str) -> None:
    """Each malformed workbook: exit 2, one 'Error: <file>: <why>' line, nothing written."""
    good = write_csv(tmp_path / "good.csv", [{"idTechnique": "R1"}])
    bad = hostile_export(tmp_path, kind)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["--config", str(config), "build", str(good), str(bad), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # sys.exit(2), not a crash
    assert result.stderr.startswith(f"Error: {bad}: ")
    assert "Traceback" not in result.output
    assert not out.exists() or not list(out.glob("*.xml"))


def test_build_cli_control_characters_in_name_escaped(config: Path, tmp_path: Path) -> None:
    """A newline in an export's name is shown as \\n in build's row lines."""
    export = write_csv(tmp_path / "bad\nname.csv", [{"idTechnique": "R1"}, {"sexe": "Z"}])
    result = CliRunner().invoke(
        cli, ["--config", str(config), "build", str(export), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    [line] = [text for text in result.stdout.splitlines() if ": sexe: " in text]
    assert line.startswith(f"{tmp_path}/bad\\nname.csv:3: sexe: ")
