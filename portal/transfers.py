"""Uploading a file and saving receipts and reports, on top of ``Navigator``.

A deposit is confirmed only by the portal's own history row for the file name (polled with a
bounded deadline), never by elapsed time. Documents are saved from a real download when the
portal sends one, else fetched from the link's address with the browser's cookies (the portal
may show them inline, as Chromium does for PDFs).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Download, Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from portal import pages
from portal.base import DocumentKind, HistoryEntry, SavedDocument
from portal.chromium import is_portal_request, portal_origin
from portal.documents import save_document, save_file, suffix_from
from portal.errors import DepositRefused, DocumentNotAvailable, PortalUnavailable, ProfileMismatch
from portal.navigator import Navigator, SessionExpired

log = logging.getLogger(__name__)

_FIRST_POLL_S = 0.5
_MAX_POLL_S = 10.0


def upload_and_confirm(
    nav: Navigator, path: Path, *, on_submit: Callable[[], None], sleep: Callable[[float], None]
) -> HistoryEntry:
    """Upload ``path`` through the deposit form and return its confirming history row.

    Args:
        nav: The navigator (logged in).
        path: The file; uploaded from its path, never from memory.
        on_submit: Called just before the form is submitted (from then on the file may be
            on the portal).
        sleep: Waits between history polls.

    Raises:
        DepositRefused: the portal showed an error after the submit.
        PortalUnavailable: HTTP 5xx after the submit, or no history row before the deadline.
    """
    profile, settings = nav.profile, nav.settings
    nav.open_deposit_form()
    pages.file_input(nav.page, profile).set_input_files(
        path, timeout=settings.upload_timeout_s * 1000
    )
    on_submit()
    log.info("uploading %s (%d bytes)", path.name, path.stat().st_size)
    nav.click(pages.upload_button(nav.page, profile), timeout_s=settings.upload_timeout_s)
    nav.page.wait_for_load_state("domcontentloaded", timeout=settings.upload_timeout_s * 1000)
    nav.raise_for_status(f"upload of {path.name}")
    if pages.password_field(nav.page, profile).is_visible():
        raise SessionExpired("the deposit confirmation")
    error = pages.error_message(nav.page, profile)
    if error.is_visible():
        raise DepositRefused(f"{path.name}: {' '.join(error.inner_text().split())}")
    return poll_history(nav, path.name, sleep=sleep)


def poll_history(nav: Navigator, file_name: str, *, sleep: Callable[[float], None]) -> HistoryEntry:
    """Read the history until ``file_name`` has a row, within ``confirm_timeout_s``."""
    deadline = time.monotonic() + nav.settings.confirm_timeout_s
    delay = _FIRST_POLL_S
    while True:
        entry = nav.find_entry(file_name)
        if entry is not None:
            log.info("%s confirmed by the portal history: %s", file_name, entry.status_label)
            return entry
        if time.monotonic() + delay > deadline:
            raise PortalUnavailable(
                f"{file_name} was submitted but has no history row after "
                f"{nav.settings.confirm_timeout_s:.0f} s"
            )
        sleep(delay)
        delay = min(delay * 2, _MAX_POLL_S)


def fetch_document(
    nav: Navigator, file_name: str, kind: DocumentKind, dest_dir: Path
) -> SavedDocument:
    """Save the receipt or report of ``file_name`` from its history row.

    Raises:
        DocumentNotAvailable: no row for the file, or no such link in it (yet).
        PortalUnavailable: the download failed or answered HTTP 5xx.
    """
    profile = nav.profile
    label = (
        profile.receipt_link_label if kind is DocumentKind.RECEIPT else profile.report_link_label
    )
    if nav.find_entry(file_name) is None:
        raise DocumentNotAvailable(f"{file_name} is not in the portal history")
    row = pages.history_row(nav.page, profile, file_name)
    link = pages.document_link(row.first, label)
    if link.count() == 0:
        raise DocumentNotAvailable(f"{file_name}: the portal has no {label!r} yet")
    href = str(link.evaluate("e => e.href || ''"))
    download = _click_for_download(nav, link)
    if download is not None:
        failure = download.failure()
        if failure is not None:
            raise PortalUnavailable(f"{file_name}: the {label!r} download failed: {failure}")
        saved = save_file(
            Path(download.path()),
            kind=kind,
            file_name=file_name,
            dest_dir=dest_dir,
            suffix=suffix_from(download.suggested_filename),
        )
    else:
        saved = _fetch_inline(nav, href, file_name=file_name, kind=kind, dest_dir=dest_dir)
    log.info("saved the %s of %s (%d bytes)", kind.value, file_name, saved.size)
    return saved


def _click_for_download(nav: Navigator, link: Locator) -> Download | None:
    timeout_ms = nav.settings.download_start_timeout_s * 1000
    try:
        with nav.page.expect_download(timeout=timeout_ms) as info:
            nav.click(link)
    except PlaywrightTimeoutError:
        log.debug("no download started; fetching the link's address instead")
        return None
    return info.value


def _fetch_inline(
    nav: Navigator, href: str, *, file_name: str, kind: DocumentKind, dest_dir: Path
) -> SavedDocument:
    if not href:
        raise ProfileMismatch(f"the {kind.value} control of {file_name} has no address")
    if not is_portal_request(href, portal_origin(nav.settings.base_url)):
        raise ProfileMismatch(f"the {kind.value} link of {file_name} leaves the portal")
    response = nav.page.context.request.get(href, timeout=nav.settings.action_timeout_s * 1000)
    try:
        if response.status >= 500:
            raise PortalUnavailable(
                f"{file_name}: the {kind.value} answered HTTP {response.status}"
            )
        content_type = response.headers.get("content-type", "")
        if urlsplit(response.url).path == nav.profile.login_path and "html" in content_type:
            raise SessionExpired(f"the {kind.value} of {file_name}")
        if not response.ok:
            raise PortalUnavailable(
                f"{file_name}: the {kind.value} answered HTTP {response.status}"
            )
        body = response.body()
        name = _disposition_name(response.headers.get("content-disposition", ""))
        suffix = suffix_from(name or unquote(urlsplit(response.url).path), content_type)
    finally:
        response.dispose()
    return save_document([body], kind=kind, file_name=file_name, dest_dir=dest_dir, suffix=suffix)


def _disposition_name(header: str) -> str | None:
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", header, re.IGNORECASE)
    return unquote(match.group(1)) if match else None
