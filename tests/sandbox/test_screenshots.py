"""Screenshots of every page of the replica, for a person to look at.

Saved to ``test-artifacts/screenshots/`` (gitignored). The test checks each PNG was written and
is not blank-sized; reading them is a human's job (the pages must be usable, not bare forms).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ROOT
from tests.sandbox.conftest import PROFILE, login, open_history, upload
from tests.sandbox.fluxgen import P, write_flux
from tests.sandbox_server import running_sandbox

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts" / "screenshots"


def test_screenshots_of_every_page(browser: Browser, tmp_path: Path, shared_cdc: Path) -> None:
    """Login, login error, deposit form, upload error, confirmation, history, maintenance."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    taken: list[Path] = []

    def shot(name: str) -> None:
        path = SHOTS / f"sandbox-{name}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)

    ok = write_flux(tmp_path / "lot-2026-11-ok.xml", [P("s-1"), P("s-2")], id_flux="ok")
    ko = write_flux(tmp_path / "lot-2026-11-titulaires.xml", [P("s-3"), P("s-4", "INCONNU")])
    broken = tmp_path / "export-casse.xml"
    broken.write_text("<cpf:flux xmlns:cpf='urn:cdc:cpf:pc5:schema:1.0.0'>")
    with running_sandbox(
        tmp_path, xsd=shared_cdc / "cdc-certifications-1.1.5.xsd", processing_delay_s=0
    ) as sandbox:
        page.goto(sandbox.login_url)
        shot("01-login")
        login(page, sandbox, password="faux")
        expect(page.locator(PROFILE.error_message_selector)).to_be_visible()
        shot("02-login-error")
        login(page, sandbox)
        shot("03-home")
        page.get_by_role("link", name=PROFILE.deposit_tab_label).click()
        shot("04-transmettre")
        page.get_by_role("link", name=PROFILE.deposit_link_label).click()
        shot("05-deposit-form")
        csv = tmp_path / "export.csv"
        csv.write_text("a;b\n")
        upload(page, csv)
        expect(page.locator(PROFILE.error_message_selector)).to_be_visible()
        shot("06-upload-error")
        for path in (ok, ko, broken):
            upload(page, path)
        sandbox.wait_for_status(ok.name)
        sandbox.wait_for_status(ko.name)
        sandbox.set_faults(processing_delay_s=3600)
        upload(page, write_flux(tmp_path / "lot-2026-12.xml", [P("s-5")], id_flux="pending"))
        shot("07-confirmation")
        open_history(page)
        shot("08-history")
        sandbox.set_faults(maintenance_for_s=60)
        page.reload()
        shot("09-maintenance")
        sandbox.set_faults(maintenance_start=None, error_rate=1.0)
        page.reload()
        shot("10-server-error")
    context.close()
    assert len(taken) == 10
    for path in taken:
        assert path.stat().st_size > 10_000, path
