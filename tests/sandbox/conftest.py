"""Fixtures of the replica's tests: one Chromium per module, helpers to drive the pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from portal.profile import PortalProfile
from tests.sandbox_server import SandboxHandle

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--disable-sync", "--no-sandbox"]
PROFILE = PortalProfile()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver per module."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """The system Chromium, headless, one per module."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (own cookies) per test, downloads allowed."""
    ctx = browser.new_context(accept_downloads=True, locale="fr-FR")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the test's context."""
    return context.new_page()


def login(page: Page, sandbox: SandboxHandle, password: str | None = None) -> None:
    """Fill and submit the login form with the profile's labels."""
    page.goto(sandbox.login_url)
    page.get_by_label(PROFILE.username_label, exact=True).fill(sandbox.username)
    page.get_by_label(PROFILE.password_label, exact=True).fill(
        sandbox.password if password is None else password
    )
    page.get_by_role("button", name=PROFILE.login_button_label, exact=True).click()


def open_deposit_form(page: Page) -> None:
    """Tab "Transmettre des données", then "Déposer un fichier XML"."""
    page.get_by_role("link", name=PROFILE.deposit_tab_label, exact=True).click()
    page.get_by_role("link", name=PROFILE.deposit_link_label, exact=True).click()


def upload(page: Page, path: Path) -> None:
    """Deposit one file through the form (the page is already logged in)."""
    open_deposit_form(page)
    page.locator(PROFILE.file_input_selector).set_input_files(path)
    page.get_by_role("button", name=PROFILE.upload_button_label, exact=True).click()


def open_history(page: Page) -> None:
    """Tab "Transmettre des données", then "Historique des fichiers déposés"."""
    page.get_by_role("link", name=PROFILE.deposit_tab_label, exact=True).click()
    page.get_by_role("link", name=PROFILE.history_link_label, exact=True).click()
    page.wait_for_url("**/transmettre/historique")


def history_rows(page: Page) -> list[dict[str, str]]:
    """The history table as dicts keyed by header text."""
    table = page.locator(PROFILE.history_table_selector)
    table.locator("thead th").first.wait_for()  # the all_* reads below do not auto-wait
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    rows = []
    for row in table.locator("tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def download(page: Page, file_name: str, link_label: str, dest: Path) -> Path:
    """Click a row's document link and save the download under ``dest``."""
    row = page.locator("tbody tr").filter(has_text=file_name).first
    with page.expect_download() as info:
        row.get_by_role("link", name=link_label, exact=True).click()
    target = dest / info.value.suggested_filename
    info.value.save_as(target)
    return target
