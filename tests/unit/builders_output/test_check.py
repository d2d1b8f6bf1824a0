"""check_flux: syntax, XSD and built-in rule findings, each with its line."""

from __future__ import annotations

from builders.cdc.check import check_flux
from tests.unit.builders_output.conftest import make_record, write_flux


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_check_clean_built_file(tmp_path, xsd115):
    """A file the writer built has no finding at all."""
    built = write_flux([make_record("T1"), make_record("T2")], tmp_path)
    assert check_flux(built[0].path, xsd=xsd115) == []


def test_check_syntax_error_is_the_only_finding(tmp_path, xsd115):
    """A file that is not well-formed gives one syntax finding with line and column."""
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?>\n<cpf:flux xmlns:cpf="x">\n<a>\n', encoding="utf-8")
    findings = check_flux(path, xsd=xsd115)
    assert len(findings) == 1
    assert findings[0].source == "syntax" and findings[0].line >= 3


def test_check_rule_finding_names_field_and_line(tmp_path, xsd115):
    """An end date before the start date passes the XSD but is a rules finding at its line."""
    built = write_flux([make_record("T1")], tmp_path)
    text = built[0].path.read_text(encoding="utf-8")
    text = text.replace(
        '<cpf:dateFinValidite xsi:nil="true"/>',
        "<cpf:dateFinValidite>2020-01-01</cpf:dateFinValidite>",
    )
    path = tmp_path / "hand-made.xml"
    path.write_text(text, encoding="utf-8")
    findings = check_flux(path, xsd=xsd115)
    assert [(f.source, f.field) for f in findings] == [("rules", "dateFinValidite")]
    assert findings[0].line == _line_of(text, "<cpf:dateFinValidite>")
    assert findings[0].value == "2020-01-01"


def test_check_xsd_and_duplicate_findings(tmp_path, xsd115):
    """XSD errors are reported with lines, and a reused idTechnique is a rules finding."""
    built = write_flux([make_record("T1"), make_record("T2")], tmp_path)
    text = built[0].path.read_text(encoding="utf-8")
    text = text.replace("<cpf:idTechnique>T2<", "<cpf:idTechnique>T1<")
    text = text.replace("<cpf:sexe>F</cpf:sexe>", "<cpf:sexe>Z</cpf:sexe>", 1)
    path = tmp_path / "hand-made.xml"
    path.write_text(text, encoding="utf-8")
    findings = check_flux(path, xsd=xsd115)
    sources = {(f.source, f.field) for f in findings}
    assert ("xsd", "") in sources
    assert ("rules", "idTechnique") in sources
    xsd_lines = [f.line for f in findings if f.source == "xsd"]
    assert xsd_lines == [_line_of(text, "<cpf:sexe>Z")]


def test_check_without_xsd_applies_rules_only(tmp_path):
    """Without an XSD, an element the schema forbids is still caught by the models."""
    built = write_flux([make_record("T1")], tmp_path)
    text = built[0].path.read_text(encoding="utf-8")
    text = text.replace("<cpf:prenom1>", "<cpf:surnom>x</cpf:surnom><cpf:prenom1>")
    path = tmp_path / "hand-made.xml"
    path.write_text(text, encoding="utf-8")
    findings = check_flux(path, xsd=None)
    assert [f.field for f in findings] == ["surnom"]


def test_check_other_root_is_a_finding(tmp_path):
    """A well-formed XML file that is not a flux is reported."""
    path = tmp_path / "other.xml"
    path.write_text("<rapport><nomFichier>x</nomFichier></rapport>", encoding="utf-8")
    findings = check_flux(path, xsd=None)
    assert [f.field for f in findings] == ["flux"]
