"""Moving around the portal on one page, the way the profile describes it.

Each move waits for what it expects, and on the way tells apart the situations that matter:
a maintenance page (``PortalMaintenance``, with its end when the page gives one), an HTTP 5xx
answer (transient), the login form instead of the expected page (``SessionExpired``: the caller
logs in again once), a fully loaded page without the expected element (``ProfileMismatch``:
the profile does not describe this portal).

A page fetched with GET that answers HTTP 5xx is loaded again on the spot, a few times with a
short doubling wait (``page_retry_attempts``, ``page_retry_delay_s``), so one failed request
costs one reload, not the whole step from login. A form POST (login, upload) is never sent
again here: its step decides (the upload is settled from the history).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import reduce
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from portal import pages
from portal.base import DepositState, HistoryEntry
from portal.errors import LoginFailed, PortalUnavailable, ProfileMismatch
from portal.maintenance import maintenance_error
from portal.settings import PortalSettings

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Response

log = logging.getLogger(__name__)

_POLL_MS = 1000


class SessionExpired(Exception):
    """The login form showed up where a logged-in page was expected."""


class Navigator:
    """Profile-driven navigation on ``page``.

    Args:
        page: The page to drive.
        settings: Portal settings (base URL, profile, timeouts).
        sleep: Waits before reloading a page that failed (injectable for tests).
    """

    def __init__(
        self, page: Page, settings: PortalSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.page = page
        self.settings = settings
        self.profile = settings.profile
        self.home_url = settings.base_url.rstrip("/") + self.profile.login_path
        self.nav_status: int | None = None
        self.nav_method = "GET"
        self.reloads = 0  # pages loaded again after an HTTP 5xx, over this navigator's life
        self.sleep = sleep
        self._unknown_labels: set[str] = set()
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        try:
            if response.request.is_navigation_request() and response.frame == self.page.main_frame:
                self.nav_status = response.status
                self.nav_method = response.request.method
        except Exception as exc:  # noqa: BLE001 - a detached frame must not break the listener
            log.debug("response listener: %s", exc)

    # -- primitives -----------------------------------------------------------------------

    def goto(self, url: str) -> None:
        """Navigate to ``url`` and remember the answer's HTTP status."""
        self.nav_status = None
        response = self.page.goto(url, wait_until="domcontentloaded")
        self.nav_method = "GET"
        if response is not None:
            self.nav_status = response.status

    def click(self, target: Locator, *, timeout_s: float | None = None) -> None:
        """Click ``target``; a navigation it causes updates ``nav_status``."""
        self.nav_status = None
        timeout = None if timeout_s is None else timeout_s * 1000
        target.click(timeout=timeout)

    def reload(self) -> None:
        """Reload the current page."""
        self.nav_status = None
        response = self.page.reload(wait_until="domcontentloaded")
        if response is not None:
            self.nav_status = response.status
            self.nav_method = response.request.method

    def raise_for_status(self, what: str) -> None:
        """Raise when the last navigation answered HTTP 5xx.

        Raises:
            PortalMaintenance: the answer is the portal's maintenance page.
            PortalUnavailable: any other HTTP 5xx.
        """
        if self.nav_status is not None and self.nav_status >= 500:
            self.raise_if_maintenance(what)
            raise PortalUnavailable(
                f"{what}: the portal answered HTTP {self.nav_status} at {_path(self.page.url)}"
            )

    def raise_if_maintenance(self, what: str) -> None:
        """Raise ``PortalMaintenance`` if the page shows the maintenance message."""
        if pages.maintenance_message(self.page, self.profile).is_visible():
            text = self.page.locator("body").inner_text()
            now = datetime.now(UTC)
            raise maintenance_error(what, text, self.profile.maintenance_end_pattern, now)

    def _reload_failed_page(self, what: str, failures: int) -> bool:
        """Load again a GET page that answered HTTP 5xx (not maintenance); False when spent."""
        if failures >= self.settings.page_retry_attempts or self.nav_method != "GET":
            return False
        self.page.wait_for_load_state("domcontentloaded")
        self.raise_if_maintenance(what)
        wait = self.settings.page_retry_delay_s * 2.0 ** (failures - 1)
        log.info(
            "%s: HTTP %s at %s; loading the page again in %.1f s",
            what,
            self.nav_status,
            _path(self.page.url),
            wait,
        )
        self.sleep(wait)
        self.reloads += 1
        self.reload()
        return True

    def wait_for(
        self,
        expected: dict[str, Locator],
        what: str,
        *,
        detect_expiry: bool = True,
        timeout_s: float | None = None,
    ) -> str:
        """Wait until one of ``expected`` is visible; return its key.

        Raises:
            PortalUnavailable: HTTP 5xx, a maintenance page, or a page still loading at the end.
            SessionExpired: the login form is shown (when ``detect_expiry``).
            ProfileMismatch: the page loaded but shows none of ``expected``.
        """
        login = pages.password_field(self.page, self.profile)
        maintenance = pages.maintenance_message(self.page, self.profile)
        watched = [*expected.values(), maintenance] + ([login] if detect_expiry else [])
        anything = reduce(lambda a, b: a.or_(b), watched).first
        deadline = time.monotonic() + (timeout_s or self.settings.action_timeout_s)
        failures = 0
        while True:
            if self.nav_status is not None and self.nav_status >= 500:
                failures += 1
                if self._reload_failed_page(what, failures):
                    deadline = time.monotonic() + (timeout_s or self.settings.action_timeout_s)
                    continue
                self.raise_for_status(what)
            for key, locator in expected.items():
                if locator.is_visible():
                    return key
            if detect_expiry and login.is_visible():
                raise SessionExpired(what)
            if maintenance.is_visible():
                self.raise_if_maintenance(what)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._diagnose(what)
            try:
                anything.wait_for(state="visible", timeout=min(remaining * 1000, _POLL_MS))
            except PlaywrightTimeoutError:
                continue

    def _diagnose(self, what: str) -> None:
        state = self.page.evaluate("document.readyState")
        where = _path(self.page.url)
        if state != "complete":
            raise PortalUnavailable(f"timed out waiting for {what} at {where} (page still loading)")
        raise ProfileMismatch(
            f"{what} not found at {where}: check the portal profile (run `accrochage portal probe`)"
        )

    # -- pages ----------------------------------------------------------------------------

    def log_in(self, username: str, password_provider: Callable[[], str]) -> None:
        """Log in through the login form, unless the session is already open.

        Raises:
            LoginFailed: credentials refused (the portal's message), a second step the agent
                cannot answer, or an unexpected page after login.
        """
        self.goto(self.home_url)
        logged_in = pages.logout_control(self.page, self.profile)
        password = pages.password_field(self.page, self.profile)
        expected = {"home": logged_in, "login": password}
        if self.wait_for(expected, "the login form", detect_expiry=False) == "home":
            log.debug("the stored portal session is still valid")
            return
        pages.username_field(self.page, self.profile).fill(username)
        password.fill(password_provider())
        self.click(pages.login_button(self.page, self.profile))
        outcomes = {
            "home": logged_in,
            "error": pages.error_message(self.page, self.profile),
            "otp": pages.otp_field(self.page, self.profile),
        }
        try:
            outcome = self.wait_for(outcomes, "the private area after login", detect_expiry=False)
        except ProfileMismatch as exc:
            raise LoginFailed(f"unexpected page after login: {exc.message}") from exc
        if outcome == "error":
            message = " ".join(outcomes["error"].inner_text().split())
            password.fill("")  # never leave a typed password on screen for the evidence
            raise LoginFailed(f"the portal refused the login: {message}")
        if outcome == "otp":
            raise LoginFailed(
                f"the portal asks for a second step ({self.profile.otp_label!r}) that the agent "
                "cannot answer; log in by hand and tell the maintainers"
            )
        log.info("logged in to the portal as %s", username)

    def log_out(self) -> None:
        """Click the logout control if the page offers one."""
        self.goto(self.home_url)
        control = pages.logout_control(self.page, self.profile)
        if control.is_visible():
            self.click(control)
            self.page.wait_for_load_state("domcontentloaded")

    def open_home(self) -> None:
        """The private area's first page (logged in)."""
        self.goto(self.home_url)
        self.wait_for({"home": pages.logout_control(self.page, self.profile)}, "the private area")

    def follow(self, label: str) -> None:
        """Click the link named ``label``: from the current page when it shows the link or the
        deposit tab, else from the private area's first page."""
        target = pages.clickable(self.page, label)
        if not target.is_visible():
            tab = pages.clickable(self.page, self.profile.deposit_tab_label)
            if not tab.is_visible():
                self.open_home()
            self.click(tab)
            self.wait_for({"target": target}, f"the link {label!r}")
        self.click(target)

    def open_deposit_form(self) -> None:
        """The deposit form, with its file input."""
        self.follow(self.profile.deposit_link_label)
        button = pages.upload_button(self.page, self.profile)
        self.wait_for({"form": button}, f"the button {self.profile.upload_button_label!r}")
        if pages.file_input(self.page, self.profile).count() == 0:
            raise ProfileMismatch(
                f"no file input {self.profile.file_input_selector!r} on the deposit form"
            )

    def open_history(self) -> None:
        """The history of deposited files."""
        self.follow(self.profile.history_link_label)
        self.wait_history()

    def wait_history(self) -> None:
        """Wait for the history table (or the empty-history text)."""
        self.wait_for(
            {
                "table": pages.history_table(self.page, self.profile),
                "empty": pages.history_empty(self.page, self.profile),
            },
            "the history table",
        )

    def current_history(self) -> list[HistoryEntry]:
        """The entries of the history page currently shown."""
        table = pages.history_table(self.page, self.profile)
        if not table.is_visible():
            return []
        headers, rows = pages.read_table(table)
        entries = pages.parse_history(headers, rows, self.profile)
        for entry in entries:
            if (
                entry.state is DepositState.UNKNOWN
                and entry.status_label not in self._unknown_labels
            ):
                self._unknown_labels.add(entry.status_label)
                log.warning(
                    "history: status label %r (first seen on %s) is not in the portal profile; "
                    "rows with it are ignored unless they are the agent's own files",
                    entry.status_label,
                    entry.file_name,
                )
        return entries

    def history_pages(self) -> Iterator[list[HistoryEntry]]:
        """The history, page after page (following the next-page link), from the first.

        Stops at the last page, after ``history_max_pages``, or when a page repeats the
        previous one (a next-page link that does not move on).
        """
        self.open_history()
        previous: list[HistoryEntry] | None = None
        for number in range(1, self.profile.history_max_pages + 1):
            entries = self.current_history()
            if entries == previous:
                log.warning("history: page %d repeats the previous page; stopping there", number)
                return
            yield entries
            link = pages.next_page_link(self.page, self.profile)
            if not link.is_visible():
                return
            previous = entries
            self._click_to_next_page(link)
            self.wait_history()
        log.warning("history: stopped after %d pages", self.profile.history_max_pages)

    def _click_to_next_page(self, link: Locator) -> None:
        try:
            with self.page.expect_navigation(wait_until="domcontentloaded"):
                self.click(link)
        except PlaywrightTimeoutError:
            log.debug("history: the next-page link did not load a new page; reading in place")

    def read_history(self) -> list[HistoryEntry]:
        """Every row of the history, all pages."""
        return [entry for entries in self.history_pages() for entry in entries]

    def find_entry(self, file_name: str) -> HistoryEntry | None:
        """The history row of ``file_name``, looked for page after page; the browser stays on
        the page that shows it. None when no page has it."""
        for entries in self.history_pages():
            for entry in entries:
                if entry.file_name == file_name:
                    return entry
        return None


def _path(url: str) -> str:
    """A URL without its query string (which may carry tokens), for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
