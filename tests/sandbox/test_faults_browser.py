"""Each injected fault, switched on and off at runtime through the admin endpoint."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox.labels import Status
from tests.sandbox.conftest import PROFILE, history_rows, login, open_history, upload
from tests.sandbox.fluxgen import P, write_flux
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One replica for the module."""
    with running_sandbox(tmp_path_factory.mktemp("faults")) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _no_faults(sandbox: SandboxHandle) -> Iterator[None]:
    """Every test starts and ends with all faults off."""
    off = {
        "latency_ms": 0,
        "error_rate": 0.0,
        "maintenance_start": None,
        "maintenance_end": None,
        "session_max_age_s": None,
        "fail_upload_confirmation": False,
        "documents_inline": False,
        "labels": {},
        "processing_delay_s": 0.2,
    }
    sandbox.set_faults(**off)
    yield
    sandbox.set_faults(**off)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_fault_latency_delays_every_page(sandbox: SandboxHandle) -> None:
    """latency_ms adds at least that much to a request; 0 removes it."""
    sandbox.set_faults(latency_ms=400)
    start = time.monotonic()
    assert _status(sandbox.login_url) == 200
    assert time.monotonic() - start >= 0.4
    assert sandbox.faults()["latency_ms"] == 400


def test_fault_error_rate_one_answers_500_in_the_page(page: Page, sandbox: SandboxHandle) -> None:
    """error_rate=1 answers every page with HTTP 500 and a readable error page."""
    sandbox.set_faults(error_rate=1.0)
    response = page.goto(sandbox.login_url)
    assert response is not None and response.status == 500
    expect(page.get_by_role("heading", name="Erreur technique")).to_be_visible()
    sandbox.set_faults(error_rate=0.0)
    response = page.goto(sandbox.login_url)
    assert response is not None and response.status == 200


def test_fault_error_rate_is_reproducible_with_a_seed(sandbox: SandboxHandle) -> None:
    """The same seed gives the same sequence of 500s, mixing failures and successes."""
    sequences = []
    for _ in range(2):
        sandbox.set_faults(error_rate=0.5, error_seed=42)
        sequences.append([_status(sandbox.login_url) for _ in range(20)])
    assert sequences[0] == sequences[1]
    assert set(sequences[0]) == {200, 500}


def test_fault_maintenance_for_seconds_shows_503_page(page: Page, sandbox: SandboxHandle) -> None:
    """maintenance_for_s starts a window now: HTTP 503 and a page saying "maintenance"."""
    sandbox.set_faults(maintenance_for_s=60)
    response = page.goto(sandbox.login_url)
    assert response is not None and response.status == 503
    expect(page.locator("body")).to_contain_text("maintenance")
    assert any(text in page.content() for text in PROFILE.maintenance_texts)
    sandbox.set_faults(maintenance_start=None)
    assert _status(sandbox.login_url) == 200


def test_fault_maintenance_window_by_datetimes(sandbox: SandboxHandle) -> None:
    """A window in the future or the past is not in force; one around now is."""
    now = datetime.now(UTC)
    sandbox.set_faults(maintenance_start=now + timedelta(hours=1), maintenance_end=None)
    assert _status(sandbox.login_url) == 200
    sandbox.set_faults(maintenance_start=now - timedelta(hours=2), maintenance_end=now)
    assert _status(sandbox.login_url) == 200
    sandbox.set_faults(
        maintenance_start=now - timedelta(minutes=1), maintenance_end=now + timedelta(hours=1)
    )
    assert _status(sandbox.login_url) == 503


def test_fault_admin_refuses_bad_values_and_bad_tokens(sandbox: SandboxHandle) -> None:
    """Invalid fault values give HTTP 400 and change nothing; a wrong token gives 403."""
    with pytest.raises(urllib.error.HTTPError) as bad_value:
        sandbox.set_faults(error_rate=2.0)
    assert bad_value.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as unknown:
        sandbox.set_faults(no_such_fault=1)
    assert unknown.value.code == 400
    assert sandbox.faults()["error_rate"] == 0.0
    request = urllib.request.Request(  # noqa: S310 - the local replica's URL
        sandbox.url + "/_sandbox/faults", headers={"Authorization": "Bearer wrong"}
    )
    with pytest.raises(urllib.error.HTTPError) as forbidden:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - local
    assert forbidden.value.code == 403


def test_fault_upload_stored_but_confirmation_fails(
    page: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """With fail_upload_confirmation the upload answers 500, yet the history has the row."""
    flux = write_flux(tmp_path / "confirmation-perdue.xml", [P("cf-1")])
    login(page, sandbox)
    sandbox.set_faults(fail_upload_confirmation=True)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        upload(page, flux)
    assert posted.value.status == 500
    expect(page.get_by_role("heading", name="Erreur technique")).to_be_visible()
    sandbox.set_faults(fail_upload_confirmation=False)
    open_history(page)
    assert history_rows(page)[0][PROFILE.column_file_name] == flux.name


def test_fault_slow_processing_holds_the_status(
    page: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """A long processing delay keeps "En cours de traitement"; shortening it lets it finish."""
    flux = write_flux(tmp_path / "lent.xml", [P("slow-1")], id_flux="slow")
    sandbox.set_faults(processing_delay_s=3600)
    login(page, sandbox)
    upload(page, flux)
    open_history(page)
    row = history_rows(page)[0]
    assert row[PROFILE.column_status] == Status.PROCESSING.value
    first_row = page.locator("tbody tr").first
    expect(first_row.get_by_role("link", name=PROFILE.report_link_label)).to_have_count(0)
    sandbox.set_faults(processing_delay_s=0)
    sandbox.wait_for_status(flux.name, Status.PROCESSED.value)
    page.reload()
    assert history_rows(page)[0][PROFILE.column_status] == Status.PROCESSED.value


def test_fault_documents_inline_shows_the_receipt_in_the_page(
    page: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """documents_inline serves the receipt with Content-Disposition inline, not a download."""
    flux = write_flux(tmp_path / "en-ligne.xml", [P("in-1")], id_flux="inline")
    login(page, sandbox)
    upload(page, flux)
    open_history(page)
    sandbox.set_faults(documents_inline=True)
    row = page.locator("tbody tr").filter(has_text=flux.name).first
    with page.expect_response(lambda r: "accuse-reception" in r.url) as answer:
        row.get_by_role("link", name=PROFILE.receipt_link_label).click()
    disposition = answer.value.headers["content-disposition"]
    assert disposition.startswith("inline")
    assert "accuseReception" in answer.value.text()


def test_fault_changed_labels_are_rendered_and_mapped_by_a_profile_override(
    page: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """Renamed tab and status show on the pages; a profile override maps the new status."""
    from portal.base import DepositState
    from portal.profile import PortalProfile

    flux = write_flux(tmp_path / "libelles.xml", [P("lb-1")], id_flux="labels")
    sandbox.set_faults(labels={"DEPOSIT_TAB": "Déposer des données", "PROCESSED": "Terminé"})
    try:
        login(page, sandbox)
        expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_have_count(0)
        page.get_by_role("link", name="Déposer des données").click()
        page.get_by_role("link", name=PROFILE.deposit_link_label).click()
        page.locator(PROFILE.file_input_selector).set_input_files(flux)
        page.get_by_role("button", name=PROFILE.upload_button_label).click()
        done = sandbox.wait_for_status(flux.name, "PROCESSED")
        assert done["status"] == "Terminé"
        page.get_by_role("link", name=PROFILE.history_link_label).click()
        status = history_rows(page)[0][PROFILE.column_status]
        assert status == "Terminé"
        assert PROFILE.state_of(status) is None
        override = PortalProfile(status_labels={**PROFILE.status_labels, "Terminé": "processed"})
        assert override.state_of(status) is DepositState.PROCESSED
    finally:
        sandbox.set_faults(labels={})


def test_fault_unknown_label_name_is_refused(sandbox: SandboxHandle) -> None:
    """Only the documented label names can be changed."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.set_faults(labels={"NO_SUCH_LABEL": "x"})
    assert refused.value.code == 400
