"""Uploading a file and saving receipts and reports, on top of ``Navigator``.

A deposit is confirmed only by the portal's own history row for the file name (polled with a
bounded deadline), never by elapsed time. Documents are read from their link's address with
the browser's cookies, streamed to disk under ``max_document_bytes`` (the portal may show them
inline, which Chromium would render in memory); a control without an address must start a
real download.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from portal import pages
from portal.base import DocumentKind, HistoryEntry, SavedDocument
from portal.chromium import is_portal_request, portal_origin
from portal.documents import save_document, save_file, suffix_from, too_large
from portal.errors import (
    DepositRefused,
    DocumentNotAvailable,
    DocumentRefused,
    PortalUnavailable,
    ProfileMismatch,
)
from portal.navigator import Navigator, SessionExpired
from portal.streaming import Fetched, HttpFailure, LeftThePortal, open_document

log = logging.getLogger(__name__)

_FIRST_POLL_S = 0.5
_MAX_POLL_S = 10.0


def upload_and_confirm(
    nav: Navigator,
    path: Path,
    *,
    on_submit: Callable[[], None],
    sleep: Callable[[float], None],
    on_error: Callable[[], object] = lambda: None,
) -> HistoryEntry:
    """Upload ``path`` through the deposit form and return its confirming history row.

    Args:
        nav: The navigator (logged in).
        path: The file; uploaded from its path, never from memory.
        on_submit: Called just before the form is submitted (from then on the file may be
            on the portal).
        sleep: Waits between history polls.
        on_error: Called when the submit is answered with HTTP 5xx, before the history is
            read (to keep evidence of the page).

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
    if nav.nav_status is not None and nav.nav_status >= 500:
        nav.raise_if_maintenance(f"upload of {path.name}")
        # The file may or may not have been stored: the history settles it, now.
        on_error()
        log.warning(
            "upload of %s: the portal answered HTTP %s; looking for it in the history",
            path.name,
            nav.nav_status,
        )
        return poll_history(nav, path.name, sleep=sleep, after_error=True)
    if pages.password_field(nav.page, profile).is_visible():
        raise SessionExpired("the deposit confirmation")
    error = pages.error_message(nav.page, profile)
    if error.is_visible():
        raise DepositRefused(f"{path.name}: {' '.join(error.inner_text().split())}")
    return poll_history(nav, path.name, sleep=sleep)


class UploadNotReceived(PortalUnavailable):
    """The submit failed and the history showed no row for the file within the confirmation
    time: the portal did not receive it, and it may be sent again."""


def poll_history(
    nav: Navigator, file_name: str, *, sleep: Callable[[float], None], after_error: bool = False
) -> HistoryEntry:
    """Read the history until ``file_name`` has a row, within ``confirm_timeout_s``.

    Raises:
        UploadNotReceived: no row, and the submit had failed (``after_error``).
        PortalUnavailable: no row after a submit the portal accepted.
    """
    deadline = time.monotonic() + nav.settings.confirm_timeout_s
    delay = _FIRST_POLL_S
    while True:
        entry = nav.find_entry(file_name)
        if entry is not None:
            log.info("%s confirmed by the portal history: %s", file_name, entry.status_label)
            return entry
        if time.monotonic() + delay > deadline:
            waited = f"{nav.settings.confirm_timeout_s:.0f} s"
            if after_error:
                raise UploadNotReceived(
                    f"{file_name}: the upload failed and the history has no row for it after "
                    f"{waited}: not received; it will be sent again"
                )
            raise PortalUnavailable(
                f"{file_name} was submitted but has no history row after {waited}"
            )
        sleep(delay)
        delay = min(delay * 2, _MAX_POLL_S)


def fetch_document(
    nav: Navigator, file_name: str, kind: DocumentKind, dest_dir: Path
) -> SavedDocument:
    """Save the receipt or report of ``file_name`` from its history row (any history page).

    A link with an address is read from that address with the browser's cookies, streamed to
    disk and refused past ``max_document_bytes`` (never rendered in the page, never held in
    memory); a control without an address is clicked and must start a download, which is
    copied under the same cap and then deleted (the document is stored once).

    Raises:
        DocumentNotAvailable: no row for the file, or no such link in it (yet).
        DocumentRefused: the document is larger than ``max_document_bytes``.
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
    if href:
        saved = _fetch_address(nav, href, file_name=file_name, kind=kind, dest_dir=dest_dir)
    else:
        saved = _fetch_by_click(nav, link, file_name=file_name, kind=kind, dest_dir=dest_dir)
    log.info("saved the %s of %s (%d bytes)", kind.value, file_name, saved.size)
    return saved


def _fetch_by_click(
    nav: Navigator, link: Locator, *, file_name: str, kind: DocumentKind, dest_dir: Path
) -> SavedDocument:
    timeout_ms = nav.settings.download_start_timeout_s * 1000
    try:
        with nav.page.expect_download(timeout=timeout_ms) as info:
            nav.click(link)
    except PlaywrightTimeoutError as exc:
        raise ProfileMismatch(
            f"the {kind.value} control of {file_name} has no address and starts no download"
        ) from exc
    download = info.value
    try:
        failure = download.failure()
        if failure is not None:
            raise PortalUnavailable(f"{file_name}: the {kind.value} download failed: {failure}")
        return save_file(
            Path(download.path()),
            kind=kind,
            file_name=file_name,
            dest_dir=dest_dir,
            suffix=suffix_from(download.suggested_filename),
            max_bytes=nav.settings.max_document_bytes,
        )
    finally:
        download.delete()


def _fetch_address(
    nav: Navigator, href: str, *, file_name: str, kind: DocumentKind, dest_dir: Path
) -> SavedDocument:
    origin = portal_origin(nav.settings.base_url)
    if not is_portal_request(href, origin):
        raise ProfileMismatch(f"the {kind.value} link of {file_name} leaves the portal")
    cap = nav.settings.max_document_bytes
    fetched = _open_with_retries(nav, href, origin, f"the {kind.value} of {file_name}")
    with fetched.body:
        content_type = fetched.headers.get("content-type", "")
        if urlsplit(fetched.url).path == nav.profile.login_path and "html" in content_type:
            raise SessionExpired(f"the {kind.value} of {file_name}")
        if fetched.length is not None and fetched.length > cap:
            raise DocumentRefused(too_large(file_name, kind, cap, fetched.length))
        name = _disposition_name(fetched.headers.get("content-disposition", ""))
        suffix = suffix_from(name or unquote(urlsplit(fetched.url).path), content_type)
        return save_document(
            fetched.chunks(),
            kind=kind,
            file_name=file_name,
            dest_dir=dest_dir,
            suffix=suffix,
            max_bytes=cap,
        )


def _open_with_retries(nav: Navigator, href: str, origin: str, what: str) -> Fetched:
    """Open ``href`` with the session's cookies; an HTTP 5xx is tried again on the spot."""
    settings = nav.settings
    cookies = nav.page.context.cookies(href)
    agent = str(nav.page.evaluate("navigator.userAgent"))
    for attempt in range(1, settings.page_retry_attempts + 1):
        try:
            return open_document(
                href,
                origin=origin,
                cookies=cookies,
                user_agent=agent,
                timeout_s=settings.action_timeout_s,
            )
        except LeftThePortal as exc:
            raise ProfileMismatch(f"{what}: redirected outside the portal ({exc})") from exc
        except HttpFailure as exc:
            if exc.status < 500 or attempt == settings.page_retry_attempts:
                raise PortalUnavailable(f"{what}: the portal answered HTTP {exc.status}") from exc
            wait = settings.page_retry_delay_s * 2.0 ** (attempt - 1)
            log.info("%s: HTTP %s; asking again in %.1f s", what, exc.status, wait)
            nav.reloads += 1
            nav.sleep(wait)
        except OSError as exc:
            raise PortalUnavailable(f"{what}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _disposition_name(header: str) -> str | None:
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", header, re.IGNORECASE)
    return unquote(match.group(1)) if match else None
