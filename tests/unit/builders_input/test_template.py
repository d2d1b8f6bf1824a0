"""The CSV template: every canonical column, Excel-friendly, and its example row imports."""

from __future__ import annotations

import codecs
from pathlib import Path

from builders.exports.columns import CANONICAL
from builders.exports.importer import import_file
from builders.exports.template import write_template
from builders.settings import BuildSettings, Declarant


def test_write_template_columns_and_encoding(tmp_path: Path) -> None:
    """UTF-8 with BOM, `;`-separated, the canonical columns in order, one example row."""
    path = tmp_path / "modele.csv"
    write_template(path)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    lines = data[len(codecs.BOM_UTF8) :].decode("utf-8").split("\r\n")
    assert lines[0].split(";") == list(CANONICAL)
    assert len(lines) == 3
    assert lines[2] == ""
    assert "Élodie" in lines[1]


def test_write_template_round_trip(tmp_path: Path) -> None:
    """Importing the template, with no configuration at all, gives one valid record."""
    path = tmp_path / "modele.csv"
    write_template(path)
    results = list(import_file(path, declarant=Declarant(), settings=BuildSettings()))
    assert [(result.row, result.errors, result.skipped) for result in results] == [(2, (), False)]
    record = results[0].record
    assert record is not None
    assert record.certification.code == "RNCP34567"
    holder = record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert holder.prenom1 == "Élodie"
    for version in ("1.1.5", "1.1.2"):
        again = list(
            import_file(
                path, declarant=Declarant(), settings=BuildSettings(), schema_version=version
            )
        )
        assert again[0].record == record
