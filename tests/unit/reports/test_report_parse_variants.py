"""Every documented report shape, generated in tmp_path from the real samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builders.cdc.messages import KoClass
from builders.cdc.reports import ProcessingReport, parse_report

PIX = "report-pix-accuse-de-traitement-ok-ko-20231018.xml"
XSD_ERROR = "report-pix-accuse-de-traitement-erreur-xsd.xml"
PIX_OK = ("1968666", "1964200")
PIX_KO = ("1979262", "1996215", "1983189")


def _variant(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    """Write a variant of a sample to tmp_path, as UTF-8 (optionally with a BOM)."""
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _pix(shared_cdc: Path) -> str:
    return (shared_cdc / PIX).read_text("utf-8")


def _ids(report: ProcessingReport) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(p.id_technique for p in report.ko), report.ok_ids


def test_parse_report_with_bom(shared_cdc: Path, tmp_path: Path) -> None:
    """A UTF-8 byte-order mark before the declaration changes nothing."""
    path = _variant(tmp_path, "bom.xml", _pix(shared_cdc), bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf<?xml")
    report = parse_report(path)
    assert _ids(report) == (PIX_KO, PIX_OK)
    assert report.nom_fichier == "pix-cpf-export-20231016-223239.xml"


def test_parse_report_with_crlf(shared_cdc: Path, tmp_path: Path) -> None:
    """CRLF line endings change nothing, including message texts."""
    text = _pix(shared_cdc).replace("\n", "\r\n")
    report = parse_report(_variant(tmp_path, "crlf.xml", text))
    assert _ids(report) == (PIX_KO, PIX_OK)
    assert report.ko[0].message == "Aucun titulaire ne correspond aux critères obligatoires"


@pytest.mark.parametrize("standalone", ['standalone="yes"', 'standalone="no"', ""])
def test_parse_report_standalone_any(shared_cdc: Path, tmp_path: Path, standalone: str) -> None:
    """standalone yes, no or absent parse the same."""
    text = _pix(shared_cdc).replace('standalone="no"', standalone)
    assert standalone in text
    report = parse_report(_variant(tmp_path, "s.xml", text))
    assert _ids(report) == (PIX_KO, PIX_OK)


def test_parse_report_lowercase_sections(shared_cdc: Path, tmp_path: Path) -> None:
    """passagesOK / passagesKO as the guide writes them are read like the capitalised ones."""
    text = _pix(shared_cdc).replace("PassagesOK", "passagesOK").replace("PassagesKO", "passagesKO")
    assert "<passagesOK>" in text
    report = parse_report(_variant(tmp_path, "lower.xml", text))
    assert _ids(report) == (PIX_KO, PIX_OK)


def test_parse_report_single_children(shared_cdc: Path, tmp_path: Path) -> None:
    """One KO passage and one OK id are read as one-element tuples, not dropped."""
    text = re.sub(r"<passage>.*?</passage>\s*", "", _pix(shared_cdc), count=2, flags=re.S)
    text = text.replace("<idTechnique>1968666</idTechnique>", "")
    report = parse_report(_variant(tmp_path, "single.xml", text))
    assert _ids(report) == (("1983189",), ("1964200",))
    assert report.ko[0].klass is KoClass.DUPLICATE


@pytest.mark.parametrize("section", ["PassagesKO", "PassagesOK"])
def test_parse_report_missing_section(shared_cdc: Path, tmp_path: Path, section: str) -> None:
    """A report without one of the two sections keeps the other."""
    text = re.sub(rf"<{section}>.*?</{section}>", "", _pix(shared_cdc), flags=re.S)
    assert section not in text
    report = parse_report(_variant(tmp_path, "missing.xml", text))
    expected = ((), PIX_OK) if section == "PassagesKO" else (PIX_KO, ())
    assert _ids(report) == expected
    assert not report.file_rejected


@pytest.mark.parametrize("empty", ["<{s}></{s}>", "<{s}/>", "<{s}>\n    </{s}>"])
def test_parse_report_empty_sections(shared_cdc: Path, tmp_path: Path, empty: str) -> None:
    """Empty sections, in any spelling, give no passages."""
    text = _pix(shared_cdc)
    for section in ("PassagesKO", "PassagesOK"):
        text = re.sub(rf"<{section}>.*?</{section}>", empty.format(s=section), text, flags=re.S)
    report = parse_report(_variant(tmp_path, "empty.xml", text))
    assert report.passages == ()
    assert report.id_traitement == "67598"
    assert not report.file_rejected


def test_parse_report_empty_report(shared_cdc: Path, tmp_path: Path) -> None:
    """A rapport with only its header, or with nothing at all, parses to an empty report."""
    text = re.sub(r"<PassagesKO>.*</PassagesOK>", "", _pix(shared_cdc), flags=re.S)
    report = parse_report(_variant(tmp_path, "header-only.xml", text))
    assert (report.nom_fichier, report.passages, report.errors) == (
        "pix-cpf-export-20231016-223239.xml",
        (),
        (),
    )
    bare = parse_report(b'<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema"/>')
    assert bare == ProcessingReport(None, None, None, (), ())


def test_parse_report_namespaced_elements(shared_cdc: Path, tmp_path: Path) -> None:
    """Elements qualified with the ns2 prefix or a default namespace match by local name."""
    text = _pix(shared_cdc)
    prefixed = re.sub(r"<(/?)(\w+)", r"<\1ns2:\2", text.split("?>", 1)[1])
    report = parse_report(_variant(tmp_path, "ns2.xml", prefixed))
    assert _ids(report) == (PIX_KO, PIX_OK)
    default = text.replace("<rapport ", '<rapport xmlns="urn:cdc:cpf:pc5:rapport:schema" ')
    report = parse_report(_variant(tmp_path, "default-ns.xml", default))
    assert _ids(report) == (PIX_KO, PIX_OK)
    assert report.id_flux == "4df76fd4-0915-46df-8c56-525506af35be"


def test_parse_report_ok_section_first(shared_cdc: Path, tmp_path: Path) -> None:
    """Sections in the other order are read too, in document order."""
    text = _pix(shared_cdc)
    ko = re.search(r"<PassagesKO>.*?</PassagesKO>", text, flags=re.S)
    ok = re.search(r"<PassagesOK>.*?</PassagesOK>", text, flags=re.S)
    assert ko is not None and ok is not None
    swapped = text.replace(ko.group(0), "@@").replace(ok.group(0), ko.group(0))
    swapped = swapped.replace("@@", ok.group(0))
    report = parse_report(_variant(tmp_path, "swapped.xml", swapped))
    assert [p.ok for p in report.passages] == [True, True, False, False, False]


def test_parse_report_rejected_idtraitement_and_several_errors(
    shared_cdc: Path, tmp_path: Path
) -> None:
    """Two consecutive erreur elements (as in the guide's screenshot) are both kept, in order."""
    text = (shared_cdc / XSD_ERROR).read_text("utf-8")
    erreur = re.search(r"<erreur>.*?</erreur>", text, flags=re.S)
    assert erreur is not None
    second = erreur.group(0).replace("<colonne>18</colonne>", "<colonne>44</colonne>")
    text = text.replace(erreur.group(0), erreur.group(0) + second)
    report = parse_report(_variant(tmp_path, "two.xml", text))
    assert [(e.line, e.column) for e in report.errors] == [(1, 18), (1, 44)]
    assert report.file_rejected


def test_parse_report_error_without_position(shared_cdc: Path, tmp_path: Path) -> None:
    """An erreur without ligne/colonne (or non-numeric) keeps its message with no position."""
    text = (shared_cdc / XSD_ERROR).read_text("utf-8")
    text = text.replace("<ligne>1</ligne>", "").replace(
        "<colonne>18</colonne>", "<colonne>x</colonne>"
    )
    report = parse_report(_variant(tmp_path, "nopos.xml", text))
    assert (report.errors[0].line, report.errors[0].column) == (None, None)
    assert report.errors[0].message.startswith("Un espace est obligatoire")


def test_parse_report_ko_without_message(shared_cdc: Path, tmp_path: Path) -> None:
    """A KO passage with no messageErreur is kept, classed other, with a hint."""
    text = re.sub(r"<messageErreur>Aucun[^<]*</messageErreur>", "", _pix(shared_cdc), count=1)
    report = parse_report(_variant(tmp_path, "nomsg.xml", text))
    assert report.ko[0].id_technique == "1979262"
    assert (report.ko[0].message, report.ko[0].klass) == (None, KoClass.OTHER)
    assert report.ko[0].hint


def test_parse_report_many_passages_streamed(tmp_path: Path) -> None:
    """A report of 20 000 passages is read whole, in order (streamed, tree pruned as it goes)."""
    ko = "".join(
        f"<passage><idTechnique>K{i}</idTechnique><messageErreur>Plusieurs titulaires ont été "
        "identifiés</messageErreur></passage>"
        for i in range(10_000)
    )
    ok = "".join(f"<idTechnique>O{i}</idTechnique>" for i in range(10_000))
    path = tmp_path / "big.xml"
    path.write_text(
        f"<rapport><nomFichier>big.xml</nomFichier><PassagesKO>{ko}</PassagesKO>"
        f"<PassagesOK>{ok}</PassagesOK></rapport>",
        encoding="utf-8",
    )
    report = parse_report(path)
    assert len(report.ko) == 10_000
    assert report.ko[-1].id_technique == "K9999"
    assert report.ok_ids[:2] == ("O0", "O1")
    assert len(report.ok_ids) == 10_000
