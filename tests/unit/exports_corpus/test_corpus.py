"""Every export of the corpus, built by ``accrochage build --json``, gives its expected outcome.

Case modules are the ``cases_*.py`` modules of this package (see ``harness.py``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from builders.cdc.schemas import import_schema

from . import __name__ as package
from . import __path__ as package_path
from .harness import BASE_BUILD, Case


def _cases() -> list[Case]:
    found: list[Case] = []
    for module in pkgutil.iter_modules(package_path):
        if module.name.startswith("cases_"):
            found += importlib.import_module(f"{package}.{module.name}").CASES
    return found


CASES = _cases()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _toml_tables(prefix: str, table: dict[str, object]) -> list[str]:
    lines = [f"[{prefix}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, dict):
            nested.append((key, value))
        else:
            lines.append(f"{json.dumps(key, ensure_ascii=False)} = {_toml_value(value)}")
    for key, value in nested:
        lines += _toml_tables(f"{prefix}.{json.dumps(key, ensure_ascii=False)}", value)
    return lines


def _config(case: Case, data_dir: Path, folder: Path) -> Path:
    build: dict[str, object] = {key: dict(value) for key, value in BASE_BUILD.items()}  # type: ignore[call-overload]
    for key, value in case.build.items():
        if isinstance(value, dict) and isinstance(build.get(key), dict):
            build[key] = {**build[key], **value}  # type: ignore[dict-item]
        else:
            build[key] = value
    lines = [
        "[agent]",
        f"data_dir = {json.dumps(str(data_dir))}",
        "[declarant]",
        'id_client_emetteur = "12ABC345"',
        'id_client_certificateur = "12ABC345"',
        'id_contrat = "MCFCER000123"',
        'nature_deposant = "CERTIFICATEUR"',
        *_toml_tables("build", build),
    ]
    path = folder / "accrochage.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, shared_cdc: Path) -> Path:
    """A data dir with the official 1.1.5 XSD imported: every built file is validated."""
    folder = tmp_path_factory.mktemp("corpus-data")
    import_schema(shared_cdc / "cdc-certifications-1.1.5.xsd", folder)
    return folder


def test_corpus_has_at_least_30_cases_with_unique_names() -> None:
    """The corpus is large enough and no case hides another."""
    names = [case.name for case in CASES]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_corpus_case(case: Case, tmp_path: Path, data_dir: Path) -> None:
    """The export gives its expected exit code, counts, rejected rows and warnings."""
    export = case.write(tmp_path)
    config = _config(case, data_dir, tmp_path)
    out = tmp_path / "out"
    arguments = ["--config", str(config), "build", str(export), "--out", str(out), "--json"]
    result = CliRunner().invoke(cli, [*arguments, *case.args], catch_exceptions=False)
    document = json.loads(result.stdout)
    assert result.exit_code == case.exit_code, document
    if case.exit_code == 2:
        for text in case.says:
            assert text in document["error"]
        return
    counts = document["counts"]
    assert (counts["valid"], counts["skipped"]) == (case.valid, case.skipped), document
    assert {(e["row"], e["field"]) for e in document["errors"]} == case.rejected, document
    assert counts["rejected"] == len({row for row, _ in case.rejected})
    assert counts["passages"] == case.valid
    assert counts["hidden"] == case.hidden
    if case.warnings is not None:
        assert {(w["row"], w["field"]) for w in document["warnings"]} == case.warnings, document
    messages = " | ".join(p["message"] for p in document["errors"] + document["warnings"])
    for text in case.says:
        assert text in messages
    (source,) = document["sources"]
    if case.header_row is not None:
        assert source["header_row"] == case.header_row
    if case.sheet is not None:
        assert source["sheet"] == case.sheet
    assert document["xsd_failures"] == []
