"""``status`` and ``rejects`` show invalid passages; the rejects CSV re-imports them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.cli.render import summary_lines
from agent.config import Config, load_config
from agent.context import RunContext
from agent.deposit import RunSummary
from agent.inbox import ImportResult, import_inbox
from agent.lifecycle import PassageStatus
from agent.paths import AgentPaths
from agent.store import Store
from builders.exports.columns import CANONICAL
from tests.agent.helpers import inbox, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
#: An export without idTechnique (ids derived), admis or presence flag columns.
_LEFT_OUT = {"idTechnique", "admis", "presenceNiveauLangueEuro", "presenceNiveauNumeriqueEuro"}
SHORT_HEADERS = [name for name in CANONICAL if name not in _LEFT_OUT]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config file whose data directory is in tmp_path."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n', encoding="utf-8")
    return path


def invoke(config_path: Path, *args: str) -> tuple[int, str]:
    """Run the CLI; returns (exit code, stdout)."""
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args])
    return result.exit_code, result.output


def import_inbox_now(config: Config) -> list[ImportResult]:
    """Import what the inbox holds."""
    with Store.open(AgentPaths.from_config(config).db, now=lambda: NOW) as store:
        return import_inbox(
            store, RunContext.create(config, now=lambda: NOW, progress=lambda _line: None)
        )


def test_cli_status_counts_invalid_passages(config_path: Path) -> None:
    """status (human and JSON) counts invalid passages and bad rows without an id."""
    config = load_config(config_path)
    write_export(inbox(config) / "export.csv", [row("A1"), row("C3", sexe="X"), row("")])
    import_inbox_now(config)
    code, out = invoke(config_path, "status")
    assert code == 0, out
    assert "Passages: invalid 1, pending 1" in out
    assert "Invalid passages: 1 (rows to correct and re-import" in out
    assert "Invalid rows: 2 in export.csv, 1 without a known idTechnique" in out
    code, out = invoke(config_path, "status", "--json")
    data = json.loads(out)
    assert data["passages"] == {"invalid": 1, "pending": 1}
    assert data["unidentified_rows"] == 1
    assert [(s["invalid"], s["unidentified"]) for s in data["imports"]] == [(2, 1)]


def test_cli_rejects_lists_invalid_passages_with_reasons(config_path: Path) -> None:
    """rejects shows invalid passages with their reasons, file and row (human and JSON)."""
    config = load_config(config_path)
    write_export(inbox(config) / "export.csv", [row("A1"), row("C3", sexe="X")])
    import_inbox_now(config)
    code, out = invoke(config_path, "rejects")
    assert code == 0, out
    assert "No rejected passage." in out
    assert "Invalid passages (1): correct the row and re-import it" in out
    assert "C3  RNCP34567  (export.csv row 3)" in out
    assert "    sexe: expected one of: M, F" in out
    code, out = invoke(config_path, "rejects", "--json")
    data = json.loads(out)
    assert data["rejects"] == []
    [invalid] = data["invalid"]
    assert (invalid["id_technique"], invalid["status"], invalid["source_row"]) == (
        "C3",
        "invalid",
        3,
    )
    assert invalid["reasons"] == ["sexe: expected one of: M, F"]
    assert invalid["source_file"] == "export.csv"


def test_cli_rejects_csv_reimports_a_corrected_invalid_row(
    config_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The CSV holds the invalid row as read from the imported file; corrected, it re-imports."""
    config = load_config(config_path)
    bad = row("", mentionValidee="Génial")  # the identity is valid: the id can be derived
    write_export(tmp_path / "full.csv", [bad])
    with (tmp_path / "full.csv").open(encoding="utf-8", newline="") as handle:
        [full] = list(csv.DictReader(handle, delimiter=";"))
    export = inbox(config) / "short.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SHORT_HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerow({name: full[name] for name in SHORT_HEADERS})
    [result] = import_inbox_now(config)
    assert result.outcomes == {"invalid": 1}
    out_csv = tmp_path / "rejects.csv"
    code, out = invoke(config_path, "rejects", "--csv", str(out_csv))
    assert code == 0, out
    assert f"1 row(s) written to {out_csv}" in out
    assert out_csv.stat().st_mode & 0o077 == 0
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        [line] = list(csv.DictReader(handle, delimiter=";"))
    assert line["idTechnique"].startswith("AA-")
    assert (line["status"], line["mentionValidee"]) == ("invalid", "Génial")
    assert line["reasons"].startswith("mentionValidee: expected one of: SANS_MENTION")
    assert (line["nomNaissance"], line["admis"], line["presenceNiveauLangueEuro"]) == (
        "Martin",
        "oui",
        "non",
    )
    raw = out_csv.read_bytes().decode("utf-8")
    assert raw.startswith("\ufeffidClientEmetteur;")  # Excel-ready: BOM, ';', CRLF
    assert raw.endswith("\r\n")
    # The operator corrects the tool's own file and drops it in the inbox as it is.
    (inbox(config) / "corrected.csv").write_bytes(raw.replace("Génial", "Bien").encode("utf-8"))
    with caplog.at_level(logging.WARNING):
        [again] = import_inbox_now(config)
    assert "columns ignored" not in caplog.text
    assert (again.valid, again.invalid, again.outcomes) == (1, 0, {"reopened": 1})
    with Store.open(AgentPaths.from_config(config).db) as store:
        [passage] = store.passages()
    assert (passage.id_technique, passage.status) == (line["idTechnique"], PassageStatus.PENDING)


def test_summary_lines_count_bad_rows_without_id(config_path: Path) -> None:
    """The deposit summary says how many invalid rows have no known idTechnique."""
    config = load_config(config_path)
    write_export(inbox(config) / "export.csv", [row("A1"), row("C3", sexe="X"), row("")])
    summary = RunSummary(imported=import_inbox_now(config))
    lines = summary_lines(summary)
    assert lines[1] == (
        "  imported export.csv: 1 valid, 2 invalid, 0 skipped "
        "(1 invalid without a known idTechnique)"
    )
    assert summary.to_json()["imported"][0]["unidentified"] == 1
