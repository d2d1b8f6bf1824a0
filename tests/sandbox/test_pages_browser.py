"""The replica's pages in Chromium: login, navigation, deposit, history and downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from portal.sandbox.labels import Status
from tests.sandbox.conftest import PROFILE, download, history_rows, login, open_history, upload
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, shared_cdc: Path) -> Iterator[SandboxHandle]:
    """One replica for the module, controlling files with the official 1.1.5 XSD."""
    with running_sandbox(
        tmp_path_factory.mktemp("pages"),
        processing_delay_s=0.3,
        xsd=shared_cdc / "cdc-certifications-1.1.5.xsd",
    ) as handle:
        yield handle


def test_login_good_credentials_reach_the_private_area(page: Page, sandbox: SandboxHandle) -> None:
    """Good credentials lead to the home page with the deposit tab and a logout link."""
    login(page, sandbox)
    expect(page.get_by_role("link", name=PROFILE.deposit_tab_label, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=PROFILE.logout_label, exact=True)).to_be_visible()
    assert page.url.endswith("/espace-prive/accueil")


def test_login_bad_password_shows_an_alert(page: Page, sandbox: SandboxHandle) -> None:
    """A wrong password keeps the login page and shows the error in role=alert."""
    login(page, sandbox, password="not-the-password")
    alert = page.locator(PROFILE.error_message_selector)
    expect(alert).to_contain_text("Identifiant ou mot de passe incorrect")
    expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_have_count(0)


def test_deposit_official_sample_shows_history_row_and_receipts(
    page: Page, sandbox: SandboxHandle, shared_cdc: Path, tmp_path: Path
) -> None:
    """The official 1.1.2 example is received, processed OK, and both documents download."""
    sample = shared_cdc / "cdc-example-1.1.2-Fichier-XML-v2.0.0.xml"
    sandbox.set_faults(processing_delay_s=600)  # hold processing while the row is checked
    login(page, sandbox)
    upload(page, sample)
    expect(page.get_by_role("heading", name="Fichier déposé")).to_be_visible()
    open_history(page)
    rows = history_rows(page)
    assert rows[0][PROFILE.column_file_name] == sample.name
    assert rows[0][PROFILE.column_status] == Status.PROCESSING.value
    receipt = download(page, sample.name, PROFILE.receipt_link_label, tmp_path)
    assert receipt.name.startswith("Accusé de réception_" + sample.name)
    root = etree.parse(receipt).getroot()
    assert root.findtext("resultat") == "OK"
    assert root.findtext("idFlux") == "6e3c7378-bda4-497a-9bd6-dc203f903ed9"
    sandbox.set_faults(processing_delay_s=0)
    sandbox.wait_for_status(sample.name)
    page.reload()
    assert history_rows(page)[0][PROFILE.column_status] == Status.PROCESSED.value
    report = download(page, sample.name, PROFILE.report_link_label, tmp_path)
    assert report.name.startswith("Accusé de traitement_" + sample.name)
    tree = etree.parse(report).getroot()
    assert tree.findtext("nomFichier") == sample.name
    assert [e.text for e in tree.iterfind("PassagesOK/idTechnique")] == [
        "db855769-bcd6-4253-93cf-e666db666c0a",
        "10c54fd2-f3a3-4dea-b975-4d7258bd10b3",
        "0785a873-acf7-4632-ad7b-b11cfff05b13",
    ]
