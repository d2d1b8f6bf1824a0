"""The replica's pages in Chromium: navigation, deposits of the official samples, history,
both receipts downloaded and checked against the documented shapes, refused uploads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from builders.cdc import messages
from builders.cdc.reports import parse_report
from portal.sandbox.labels import Status
from tests.sandbox.conftest import (
    PROFILE,
    download,
    history_rows,
    login,
    open_deposit_form,
    open_history,
    upload,
)
from tests.sandbox.fluxgen import BCR, P, write_flux
from tests.sandbox.shapes import shape
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser
MAX_UPLOAD = 50_000


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, shared_cdc: Path) -> Iterator[SandboxHandle]:
    """One replica for the module: official 1.1.5 XSD, uploads up to 50 kB."""
    with running_sandbox(
        tmp_path_factory.mktemp("pages"),
        processing_delay_s=0.2,
        max_upload_bytes=MAX_UPLOAD,
        xsd=shared_cdc / "cdc-certifications-1.1.5.xsd",
    ) as handle:
        yield handle


@pytest.fixture
def logged_in(page: Page, sandbox: SandboxHandle) -> Page:
    """A page logged in to the replica."""
    login(page, sandbox)
    return page


def _deposit_and_fetch(
    page: Page, sandbox: SandboxHandle, path: Path, dest: Path
) -> tuple[etree._Element, Path]:
    """Upload, wait for processing, download the report; returns (report root, report path)."""
    upload(page, path)
    expect(page.get_by_role("heading", name="Fichier déposé")).to_be_visible()
    sandbox.wait_for_status(path.name)
    open_history(page)
    report = download(page, path.name, PROFILE.report_link_label, dest)
    return etree.parse(report).getroot(), report


def test_login_good_credentials_reach_the_private_area(page: Page, sandbox: SandboxHandle) -> None:
    """Good credentials lead to the home page with the deposit tab and a logout link."""
    login(page, sandbox)
    expect(page.get_by_role("link", name=PROFILE.deposit_tab_label, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=PROFILE.logout_label, exact=True)).to_be_visible()
    assert page.url.endswith("/espace-prive/accueil")


def test_login_bad_password_shows_an_alert(page: Page, sandbox: SandboxHandle) -> None:
    """A wrong password keeps the login page and shows the error in role=alert."""
    login(page, sandbox, password="not-the-password")
    expect(page.locator(PROFILE.error_message_selector)).to_contain_text(
        "Identifiant ou mot de passe incorrect"
    )
    expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_have_count(0)


def test_deposit_official_sample_row_receipts_and_report(
    logged_in: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """The official 1.1.2 example: row "En cours", AR OK at once, then AT with 3 OK passages."""
    page = logged_in
    sample = shared_cdc / "cdc-example-1.1.2-Fichier-XML-v2.0.0.xml"
    sandbox.set_faults(processing_delay_s=600)  # hold processing while the row is checked
    try:
        upload(page, sample)
        expect(page.get_by_role("heading", name="Fichier déposé")).to_be_visible()
        expect(page.locator(".file-name")).to_have_text(sample.name)
        open_history(page)
        row = history_rows(page)[0]
        assert row[PROFILE.column_file_name] == sample.name
        assert row[PROFILE.column_status] == Status.PROCESSING.value
        assert row[PROFILE.column_deposited_at][2] == "/"
        receipt = download(page, sample.name, PROFILE.receipt_link_label, tmp_path)
    finally:
        sandbox.set_faults(processing_delay_s=0)
    assert receipt.name.startswith(f"Accusé de réception_{sample.name}_")
    root = etree.parse(receipt).getroot()
    assert root.tag == "accuseReception"
    assert root.findtext("resultat") == "OK"
    assert root.findtext("nomFichier") == sample.name
    assert root.findtext("tailleOctets") == str(sample.stat().st_size)
    assert root.findtext("idFlux") == "6e3c7378-bda4-497a-9bd6-dc203f903ed9"
    sandbox.wait_for_status(sample.name)
    page.reload()
    assert history_rows(page)[0][PROFILE.column_status] == Status.PROCESSED.value
    report = download(page, sample.name, PROFILE.report_link_label, tmp_path)
    assert report.name.startswith(f"Accusé de traitement_{sample.name}_")
    tree = etree.parse(report).getroot()
    assert [child.tag for child in tree] == [
        "nomFichier",
        "idFlux",
        "idTraitement",
        "PassagesKO",
        "PassagesOK",
    ]
    assert tree.findtext("nomFichier") == sample.name
    assert tree.findtext("idFlux") == "6e3c7378-bda4-497a-9bd6-dc203f903ed9"
    assert (tree.findtext("idTraitement") or "").isdigit()
    ok = [e.text for e in tree.iterfind("PassagesOK/idTechnique")]
    assert ok == [
        "db855769-bcd6-4253-93cf-e666db666c0a",
        "10c54fd2-f3a3-4dea-b975-4d7258bd10b3",
        "0785a873-acf7-4632-ad7b-b11cfff05b13",
    ]
    parsed = parse_report(report)
    assert parsed.ok_ids == tuple(ok) and parsed.ko == () and not parsed.file_rejected


def test_deposit_ko_passages_match_the_real_report_shape(
    logged_in: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """KO/OK passages: same element tree as the real Pix report, exact CDC messages."""
    flux = write_flux(
        tmp_path / "lot-ko.xml",
        [P("k-ok", "Leroy"), P("k-unknown", "INCONNU"), P("k-several", "HOMONYME")],
        id_flux="flux-ko",
    )
    tree, report = _deposit_and_fetch(logged_in, sandbox, flux, tmp_path)
    oracle = etree.parse(shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml")
    assert shape(tree) == shape(oracle.getroot())
    assert tree.nsmap == oracle.getroot().nsmap
    assert report.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>')
    passages = [
        (p.findtext("idTechnique"), p.findtext("messageErreur"))
        for p in tree.iterfind("PassagesKO/passage")
    ]
    assert passages == [
        ("k-unknown", messages.HOLDER_NOT_FOUND),
        ("k-several", messages.SEVERAL_HOLDERS),
    ]
    parsed = parse_report(report)
    assert parsed.id_flux == "flux-ko" and parsed.ok_ids == ("k-ok",)
    assert [p.klass for p in parsed.ko] == [
        messages.KoClass.HOLDER_NOT_FOUND,
        messages.KoClass.SEVERAL_HOLDERS,
    ]
    open_history(logged_in)
    assert history_rows(logged_in)[0][PROFILE.column_status] == Status.PROCESSED_WITH_ERRORS.value


def test_deposit_xsd_failure_matches_the_real_error_report_shape(
    logged_in: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """A file failing the XSD: "Traité avec erreurs" and the erreurs shape of the real sample."""
    flux = write_flux(tmp_path / "lot-xsd.xml", [P("x-1", sexe="H")], bcr="TOOLONGBCR")
    tree, report = _deposit_and_fetch(logged_in, sandbox, flux, tmp_path)
    oracle = etree.parse(shared_cdc / "report-pix-accuse-de-traitement-erreur-xsd.xml")
    assert shape(tree) == shape(oracle.getroot())
    errors = tree.findall("erreurs/erreur")
    assert len(errors) >= 2
    assert all(e.findtext("type") == "XSD" for e in errors)
    assert all((e.findtext("ligne") or "").isdigit() for e in errors)
    parsed = parse_report(report)
    assert parsed.file_rejected and parsed.nom_fichier == flux.name
    open_history(logged_in)
    assert history_rows(logged_in)[0][PROFILE.column_status] == Status.PROCESSED_WITH_ERRORS.value


def test_deposit_official_creation_duplicate_and_suppression(
    logged_in: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """CREATION accepted; the same again gives duplicates; SUPPRESSION removes the passages."""
    creation = shared_cdc / "cdc-example-1.1.5-CREATION.xml"
    tree, _ = _deposit_and_fetch(logged_in, sandbox, creation, tmp_path)
    assert len(tree.findall("PassagesOK/idTechnique")) == 3
    again = tmp_path / "CREATION-bis.xml"
    again.write_bytes(creation.read_bytes())
    tree, _ = _deposit_and_fetch(logged_in, sandbox, again, tmp_path)
    assert [p.findtext("messageErreur") for p in tree.iterfind("PassagesKO/passage")] == [
        messages.duplicate_message("04VHF013", f"ID_TECHNIQUE_0{i}") for i in (1, 2, 3)
    ]
    suppression = shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml"
    tree, _ = _deposit_and_fetch(logged_in, sandbox, suppression, tmp_path)
    assert len(tree.findall("PassagesOK/idTechnique")) == 3
    rows = history_rows(logged_in)
    assert [r[PROFILE.column_status] for r in rows[:3]] == [
        Status.PROCESSED.value,
        Status.PROCESSED_WITH_ERRORS.value,
        Status.PROCESSED.value,
    ]


def test_deposit_pix_sample_and_certification_ko(
    logged_in: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """The Pix RS sample is accepted; a withdrawn code gets the certification-KO text."""
    tree, _ = _deposit_and_fetch(
        logged_in, sandbox, shared_cdc / "pix-deposit-sample-RS-1.1.2.xml", tmp_path
    )
    assert [e.text for e in tree.iterfind("PassagesOK/idTechnique")] == ["12", "20"]
    flux = write_flux(tmp_path / "retiree.xml", [P("r-1")], code="RNCP99999")
    tree, _ = _deposit_and_fetch(logged_in, sandbox, flux, tmp_path)
    assert tree.findtext("PassagesKO/passage/messageErreur") == (
        messages.certification_ko_message(BCR, "r-1")
    )


def test_deposit_unreadable_file_is_rejected_with_receipt_only(
    logged_in: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """A not well-formed .xml: status "Rejeté", AR KO downloadable, no accusé de traitement."""
    broken = tmp_path / "casse.xml"
    broken.write_text("<cpf:flux xmlns:cpf='urn:cdc:cpf:pc5:schema:1.0.0'><cpf:idFlux>")
    upload(logged_in, broken)
    expect(logged_in.get_by_role("status")).to_contain_text("rejeté")
    open_history(logged_in)
    assert history_rows(logged_in)[0][PROFILE.column_status] == Status.REJECTED.value
    row = logged_in.locator("tbody tr").first
    expect(row.get_by_role("link", name=PROFILE.report_link_label)).to_have_count(0)
    receipt = download(logged_in, broken.name, PROFILE.receipt_link_label, tmp_path)
    root = etree.parse(receipt).getroot()
    assert root.findtext("resultat") == "KO"
    assert "mal formé" in (root.findtext("motif") or "")


@pytest.mark.parametrize(
    ("name", "size", "expected"),
    [
        ("export.csv", 100, "seuls les fichiers XML sont acceptés"),
        ("gros.xml", MAX_UPLOAD + 10, "taille maximale"),
        ("enorme.xml", MAX_UPLOAD + 200_000, "taille maximale"),
    ],
)
def test_deposit_refused_uploads_show_an_error_and_store_nothing(
    logged_in: Page, sandbox: SandboxHandle, tmp_path: Path, name: str, size: int, expected: str
) -> None:
    """Wrong extension or too large: an alert on the form page, and no history row."""
    before = len(sandbox.deposits())
    path = tmp_path / name
    path.write_bytes(b"<a/>" + b" " * (size - 4))
    upload(logged_in, path)
    expect(logged_in.locator(PROFILE.error_message_selector)).to_contain_text(expected)
    expect(logged_in.locator(PROFILE.file_input_selector)).to_be_visible()
    assert len(sandbox.deposits()) == before
    stored = list((sandbox.data_dir / "deposits").glob("*"))
    assert len(stored) == before


def test_deposit_without_choosing_a_file_is_refused(logged_in: Page) -> None:
    """Submitting the form with no file (required attribute removed) shows an alert."""
    open_deposit_form(logged_in)
    logged_in.locator(PROFILE.file_input_selector).evaluate("e => e.removeAttribute('required')")
    logged_in.get_by_role("button", name=PROFILE.upload_button_label).click()
    expect(logged_in.locator(PROFILE.error_message_selector)).to_contain_text(
        "Aucun fichier sélectionné"
    )
