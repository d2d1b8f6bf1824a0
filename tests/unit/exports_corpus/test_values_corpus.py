"""Every case of ``cases_values.py``, built by ``accrochage build --json``, gives its outcome.

A self-contained runner for this branch's cases (the corpus harness of issue 10 part A runs
every ``cases_*.py`` module the same way, with its own extra checks).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from builders.cdc.schemas import import_schema

from .cases_values import CASES
from .harness import Case


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, shared_cdc: Path) -> Path:
    """A data dir with the official 1.1.5 XSD imported: every built file is validated."""
    folder = tmp_path_factory.mktemp("corpus-data")
    import_schema(shared_cdc / "cdc-certifications-1.1.5.xsd", folder)
    return folder


def _config(data_dir: Path, folder: Path) -> Path:
    path = folder / "accrochage.toml"
    path.write_text(
        "\n".join(
            [
                "[agent]",
                f"data_dir = {json.dumps(str(data_dir))}",
                "[declarant]",
                'id_client_emetteur = "12ABC345"',
                'id_client_certificateur = "12ABC345"',
                'id_contrat = "MCFCER000123"',
                'nature_deposant = "CERTIFICATEUR"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def test_values_corpus_has_unique_names() -> None:
    """At least 20 cases here, none hiding another."""
    names = [case.name for case in CASES]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_values_corpus_case(case: Case, tmp_path: Path, data_dir: Path) -> None:
    """The export gives its expected exit code, counts, rejected rows and warnings."""
    export = case.write(tmp_path)
    arguments = ["--config", str(_config(data_dir, tmp_path)), "build", str(export)]
    arguments += ["--out", str(tmp_path / "out"), "--json", *case.args]
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    document = json.loads(result.stdout)
    assert result.exit_code == case.exit_code, document
    counts = document["counts"]
    assert (counts["valid"], counts["skipped"]) == (case.valid, case.skipped), document
    assert {(e["row"], e["field"]) for e in document["errors"]} == case.rejected, document
    assert counts["rejected"] == len({row for row, _ in case.rejected})
    assert counts["passages"] == case.valid
    if case.warnings is not None:
        assert {(w["row"], w["field"]) for w in document["warnings"]} == case.warnings, document
    messages = " | ".join(p["message"] for p in document["errors"] + document["warnings"])
    for text in case.says:
        assert text in messages
    assert document["xsd_failures"] == []
