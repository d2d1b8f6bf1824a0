"""File splitting, grouping, naming, header values and nil rules of the written flux files."""

from __future__ import annotations

import datetime as dt
import re
import stat
import uuid
from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.models import (
    DossierFormation,
    IdentifiantNational,
    IdentificationTitulaire,
    Titulaire,
)
from builders.cdc.render import render_passage
from builders.errors import BuildError
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import (
    SUMMER,
    WINTER,
    fixed_clock,
    make_record,
    write_flux,
)

NS = {"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}
HORODATAGE = re.compile(r"^(19|20)\d{2}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def _ids(path: Path) -> list[str]:
    return etree.parse(str(path)).xpath(
        "//cpf:passageCertification/cpf:idTechnique/text()", namespaces=NS
    )


def test_splitter_splits_files_at_passage_count(tmp_path, oracle):
    """Five passages with a limit of two per file give files of 2, 2 and 1 passages."""
    records = [make_record(f"T{i}") for i in range(5)]
    built = write_flux(records, tmp_path, settings=BuildSettings(max_passages_per_file=2))
    assert [b.passages for b in built] == [2, 2, 1]
    assert [n for b in built for n in _ids(b.path)] == [f"T{i}" for i in range(5)]
    assert [b.name[-7:] for b in built] == ["001.xml", "002.xml", "003.xml"]
    for b in built:
        assert oracle["1.1.5"].validate(etree.parse(str(b.path)))


def test_splitter_splits_files_before_crossing_byte_limit(tmp_path, oracle):
    """No file exceeds max_file_bytes: the size is checked before a passage is written."""
    records = [
        make_record(f"T{i}", nom="N" * 60).model_copy(
            update={
                "passage": make_record(f"T{i}").passage.model_copy(
                    update={"libelleOption": "x" * 255, "verbatim": "v" * 255}
                )
            }
        )
        for i in range(12)
    ]
    limit = 10_000
    built = write_flux(records, tmp_path, settings=BuildSettings(max_file_bytes=limit))
    assert len(built) > 1
    assert sum(b.passages for b in built) == 12
    for b in built:
        assert b.size == b.path.stat().st_size <= limit
        assert oracle["1.1.5"].validate(etree.parse(str(b.path)))
    # a file was closed only because the next passage (and the closing tags) would not fit
    fragment = len(render_passage(records[4].passage, "1.1.5"))
    assert built[0].size + fragment > limit


def test_splitter_passage_larger_than_limit_is_an_error_and_leaves_nothing(tmp_path):
    """A passage that cannot fit in an empty file raises BuildError; no file stays behind."""
    from builders.flux.splitter import Limits, SplittingWriter
    from builders.flux.writer import fragment_for

    finished: list[object] = []
    writer = SplittingWriter(
        tmp_path,
        prefix="accrochage",
        schema_version="1.1.5",
        action="CREATION",
        limits=Limits(max_passages=10, max_bytes=1_500),
        now=fixed_clock(),
        new_id=lambda: "id",
        on_file=finished.append,
    )
    with pytest.raises(BuildError, match="cannot fit"):
        writer.add(fragment_for(make_record(), "1.1.5"))
    writer.discard()
    assert finished == []
    assert list(tmp_path.iterdir()) == []


def test_splitter_one_certificateur_per_file_even_unordered(tmp_path, oracle):
    """Each file holds exactly one certificateur; interleaved input only makes more files."""
    records = [
        make_record("A1", certificateur="AAAAAAAA"),
        make_record("B1", certificateur="BBBBBBBB"),
        make_record("A2", certificateur="AAAAAAAA"),
    ]
    built = write_flux(records, tmp_path)
    assert len(built) == 3
    for b in built:
        document = etree.parse(str(b.path))
        assert len(document.xpath("//cpf:certificateur", namespaces=NS)) == 1
        assert oracle["1.1.5"].validate(document)
    certifiers = [
        etree.parse(str(b.path)).xpath("string(//cpf:certificateur/cpf:idClient)", namespaces=NS)
        for b in built
    ]
    assert certifiers == ["AAAAAAAA", "BBBBBBBB", "AAAAAAAA"]
    assert "AAAAAAAA" in built[0].name and "BBBBBBBB" in built[1].name


def test_splitter_groups_passages_by_certification(tmp_path, oracle):
    """Consecutive passages of two codes of one certifier share a file, one element per code."""
    records = [make_record("T1"), make_record("T2"), make_record("S1", type_="RS", code="RS5875")]
    built = write_flux(records, tmp_path)
    assert len(built) == 1
    document = etree.parse(str(built[0].path))
    codes = document.xpath("//cpf:certification/cpf:code/text()", namespaces=NS)
    assert codes == ["RNCP12345", "RS5875"]
    assert oracle["1.1.5"].validate(document)


def test_writer_header_declaration_namespaces_and_no_comments(tmp_path):
    """UTF-8 declaration, cpf prefix, xsi declared, no comments, action CREATION in 1.1.5."""
    built = write_flux([make_record()], tmp_path)
    data = built[0].path.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<cpf:flux xmlns:cpf=')
    assert b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in data.split(b"\n")[1]
    assert b"<!--" not in data
    assert b"<cpf:action>CREATION</cpf:action>" in data


@pytest.mark.parametrize(
    ("moment", "expected", "stamp"),
    [
        (WINTER, "2026-01-15T10:30:05+01:00", "20260115-103005"),
        (SUMMER, "2026-07-15T11:30:05+02:00", "20260715-113005"),
    ],
)
def test_writer_horodatage_has_paris_offset_without_millis(tmp_path, moment, expected, stamp):
    """horodatage is Europe/Paris local time with +01:00 in winter, +02:00 in summer."""
    built = write_flux([make_record()], tmp_path, now=fixed_clock(moment))
    value = etree.parse(str(built[0].path)).xpath("string(//cpf:horodatage)", namespaces=NS)
    assert value == expected
    assert HORODATAGE.match(value)
    assert built[0].name == f"accrochage-AB123CDE-{stamp}-001.xml"


def test_writer_rejects_naive_clock(tmp_path):
    """A clock without a time zone is a programming error, refused loudly."""
    with pytest.raises(ValueError, match="aware"):
        write_flux([make_record()], tmp_path, now=lambda: dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_writer_files_owner_only_named_ascii_with_uuid_idflux(tmp_path):
    """Files are 0600, ASCII-named without spaces, no temp part left, idFlux a UUID by default."""
    from builders.flux.writer import write_flux_files
    from builders.settings import BuildSettings

    record = make_record(certificateur="É 12345é")
    built = write_flux_files([record], tmp_path, settings=BuildSettings())
    assert len(built) == 1
    assert re.fullmatch(r"accrochage-[A-Za-z0-9_-]+-\d{8}-\d{6}-001\.xml", built[0].name)
    assert stat.S_IMODE(built[0].path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [built[0].name]
    assert uuid.UUID(built[0].id_flux).version == 4


def test_writer_112_writes_no_action_and_refuses_identifiant_national(tmp_path, oracle):
    """1.1.2 files have no action; a NIR record cannot be written in 1.1.2."""
    built = write_flux([make_record()], tmp_path / "a", schema_version="1.1.2")
    data = built[0].path.read_bytes()
    assert b"<cpf:action>" not in data
    assert oracle["1.1.2"].validate(etree.parse(str(built[0].path)))
    record = make_record()
    national = record.model_copy(
        update={
            "passage": record.passage.model_copy(
                update={
                    "identificationTitulaire": IdentificationTitulaire(
                        identifiantNational=IdentifiantNational(
                            nir="1850775123456", nomNaissance="Dupont"
                        )
                    )
                }
            )
        }
    )
    with pytest.raises(ValueError, match=r"1\.1\.5"):
        write_flux([national], tmp_path / "b", schema_version="1.1.2")
    assert list((tmp_path / "b").iterdir()) == []


def test_writer_nil_rules(tmp_path, oracle):
    """Unknown nillable fields are xsi:nil, unknown optional fields are omitted."""
    record = make_record()
    holder = Titulaire(nomNaissance="Dupont", prenom1="Jean", anneeNaissance=1990, sexe="M")
    record = record.model_copy(
        update={
            "passage": record.passage.model_copy(
                update={"identificationTitulaire": IdentificationTitulaire(titulaire=holder)}
            )
        }
    )
    built = write_flux([record], tmp_path)
    text = built[0].path.read_text(encoding="utf-8")
    for name in (
        "dateFinValidite",
        "scoring",
        "mentionValidee",
        "modaliteAcces",
        "nomUsage",
        "moisNaissance",
        "jourNaissance",
        "codePostal",
    ):
        assert f'<cpf:{name} xsi:nil="true"/>' in text, name
    for name in ("urlPreuve", "libelleOption", "verbatim", "prenom2", "codeInsee", "voieAccessVAE"):
        assert f"<cpf:{name}" not in text, name
    assert "<cpf:modalitesInscription>" in text
    assert oracle["1.1.5"].validate(etree.parse(str(built[0].path)))


def test_writer_escapes_markup_characters(tmp_path, oracle):
    """&, <, > in values are escaped and read back unchanged."""
    from builders.cdc.fluxread import iter_flux

    record = make_record()
    record = record.model_copy(
        update={"passage": record.passage.model_copy(update={"verbatim": "a<b & c>d"})}
    )
    built = write_flux([record], tmp_path)
    assert b"a&lt;b &amp; c&gt;d" in built[0].path.read_bytes()
    _, passages = iter_flux(built[0].path)
    assert [p.record for p in passages] == [record]


def test_writer_reports_each_passage_file(tmp_path):
    """on_passage receives (file name, idTechnique) for every passage written."""
    seen: list[tuple[str, str]] = []
    records = [make_record(f"T{i}") for i in range(3)]
    dossier = IdentificationTitulaire(
        dossierFormation=DossierFormation(idDossier="123", nomTitulaire="X", prenom1Titulaire="Y")
    )
    records.append(
        make_record("D1").model_copy(
            update={
                "passage": make_record("D1").passage.model_copy(
                    update={"identificationTitulaire": dossier}
                )
            }
        )
    )
    built = write_flux(
        records,
        tmp_path,
        settings=BuildSettings(max_passages_per_file=3),
        on_passage=lambda name, id_technique: seen.append((name, id_technique)),
    )
    assert seen == [
        (built[0].name, "T0"),
        (built[0].name, "T1"),
        (built[0].name, "T2"),
        (built[1].name, "D1"),
    ]
