"""The ``Portal`` implemented with Playwright in headless Chromium.

One browser per ``with PlaywrightPortal(...)`` block, started in the calling thread (Playwright's
sync API is not thread-safe). Every step runs as attempts (``portal.retry``): a transient
failure (timeout, HTTP 5xx, maintenance page) is retried with backoff; a permanent one (login
refused, file refused, unknown status, page not as the profile says) is raised at once. Each
failed attempt leaves a screenshot and the step's trace (``portal.evidence``). Tracing starts
only after login, and stops while logging in again, so the typed password is never traced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from builders.files import ensure_private_dir
from portal.base import DepositResult, DocumentKind, HistoryEntry, SavedDocument
from portal.chromium import is_portal_request, launch_options, portal_origin
from portal.errors import LoginFailed, PortalError, PortalPermanentError, PortalUnavailable
from portal.evidence import EvidenceRecorder, StepTracer
from portal.navigator import Navigator, SessionExpired
from portal.retry import RetryPolicy
from portal.session_state import SessionStore
from portal.settings import PortalSettings
from portal.transfers import UploadNotReceived, fetch_document, upload_and_confirm

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

log = logging.getLogger(__name__)
T = TypeVar("T")


class PlaywrightPortal:
    """The CDC portal through headless Chromium. Use as a context manager.

    Args:
        settings: The ``[portal]`` settings, page profile included.
        password_provider: Returns the password when the client logs in (called only then;
            the value is never stored).
        work_dir: Private folder for the session state and downloads (created 0700).
        evidence_dir: Where failed attempts leave screenshots and traces (created 0700).
        reuse_session: Reuse a stored session (False forces a fresh login, for ``probe``).
        sleep: Waits between attempts and history polls (injectable for tests).
    """

    def __init__(
        self,
        settings: PortalSettings,
        *,
        password_provider: Callable[[], str],
        work_dir: Path,
        evidence_dir: Path,
        reuse_session: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.profile = settings.profile
        self._password_provider = password_provider
        self._work_dir = work_dir
        self._reuse_session = reuse_session
        self._sleep = sleep
        self._retry = RetryPolicy.from_settings(settings, sleep=sleep)
        self._evidence = EvidenceRecorder(evidence_dir)
        self._sessions = SessionStore(work_dir, settings.base_url, settings.username or "")
        self._origin = portal_origin(settings.base_url)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._nav: Navigator | None = None
        self._logged_in = False
        self._tracer = StepTracer()
        self._submitted: set[str] = set()

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Self:
        ensure_private_dir(self._work_dir)
        downloads = ensure_private_dir(self._work_dir / "downloads")
        self._playwright = sync_playwright().start()
        try:
            options = launch_options(self.settings, downloads)
            browser = self._browser = self._playwright.chromium.launch(**options)
            state = self._sessions.existing() if self._reuse_session else None
            context = browser.new_context(
                storage_state=str(state) if state else None, accept_downloads=True, locale="fr-FR"
            )
            timeout_ms = self.settings.action_timeout_s * 1000
            context.set_default_timeout(timeout_ms)
            context.set_default_navigation_timeout(timeout_ms)
            context.route("**/*", self._route)
            self._context = context
            self._tracer = StepTracer(context)
            self._nav = Navigator(context.new_page(), self.settings, sleep=self._sleep)
        except (PlaywrightError, FileNotFoundError) as exc:
            self._shutdown()
            raise PortalPermanentError(f"could not start Chromium: {exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On Ctrl-C the driver is being interrupted too: saving the session would only fail
        # noisily; the next run logs in again.
        interrupted = exc_type is not None and issubclass(exc_type, KeyboardInterrupt)
        try:
            if self._logged_in and self._context is not None and not interrupted:
                self._sessions.save(dict(self._context.storage_state()))
        except PlaywrightError as error:
            log.warning("could not save the portal session: %s", error)
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            if self._context is not None:
                self._tracer.stop()
            if self._browser is not None:
                self._browser.close()
        except PlaywrightError as exc:
            log.debug("closing the browser: %s", exc)
        finally:
            self._browser = None
            self._context = None
            self._nav = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def _route(self, route: Route) -> None:
        url = route.request.url
        if is_portal_request(url, self._origin):
            route.continue_()
        else:
            log.debug("blocked a request outside the portal: %s", url.split("?")[0])
            route.abort("blockedbyclient")

    @property
    def page(self) -> Page:
        """The one page the client drives (for ``portal.probe``)."""
        return self.navigator.page

    @property
    def navigator(self) -> Navigator:
        """Profile-driven navigation on the client's page."""
        if self._nav is None:
            raise RuntimeError("use the portal as a context manager: `with portal: ...`")
        return self._nav

    # -- Portal protocol ------------------------------------------------------------------

    def login(self) -> None:
        """Log in, or check that the stored session still works."""
        self._run("login", lambda: None)

    def logout(self) -> None:
        """Log out if logged in and forget the stored session."""
        try:
            if self._nav is not None and (self._logged_in or self._reuse_session):
                self._tracer.stop()
                self.navigator.log_out()
        except (PlaywrightError, PortalError) as exc:
            log.warning("logout did not complete: %s", exc)
        finally:
            self._logged_in = False
            self._sessions.clear()

    def history(self) -> list[HistoryEntry]:
        """Every row of the history of deposited files, all pages."""
        return self._run("history", self.navigator.read_history)

    def find_deposit(self, file_name: str) -> HistoryEntry | None:
        """The history row for ``file_name``, or None."""
        return self._run("find_deposit", lambda: self.navigator.find_entry(file_name))

    def deposit(self, path: Path) -> DepositResult:
        """Upload ``path`` unless its name is in the history; confirm from the history row."""
        if not path.is_file():
            raise FileNotFoundError(f"nothing to deposit: {path} does not exist")
        sent: list[str] = []  # set once this call has submitted the form
        return self._run("deposit", lambda: self._deposit_attempt(path, sent))

    def fetch_document(self, file_name: str, kind: DocumentKind, dest_dir: Path) -> SavedDocument:
        """Save the receipt or report of ``file_name`` into ``dest_dir`` with its SHA-256."""
        return self._run(
            f"fetch_{kind.value}",
            lambda: fetch_document(self.navigator, file_name, kind, dest_dir),
        )

    # -- steps ------------------------------------------------------------------------------

    def _deposit_attempt(self, path: Path, sent: list[str]) -> DepositResult:
        name = path.name
        existing = self.navigator.find_entry(name)
        if existing is not None:
            if not sent:
                log.info("deposit: %s is already in the portal history, not uploading", name)
            return DepositResult(existing, uploaded=bool(sent))
        if name in self._submitted:
            raise PortalUnavailable(
                f"{name} was submitted in this run but is not in the portal history; "
                "not sending it twice in one run: check the history again later"
            )

        def submitting() -> None:
            self._submitted.add(name)
            sent.append(name)

        try:
            entry = upload_and_confirm(
                self.navigator,
                path,
                on_submit=submitting,
                sleep=self._sleep,
                on_error=lambda: self._evidence.capture("deposit_error", self.navigator.page),
            )
        except UploadNotReceived:
            self._submitted.discard(name)  # the history says it never arrived
            raise
        return DepositResult(entry, uploaded=True)

    def _run(self, step: str, body: Callable[[], T]) -> T:
        return self._retry.run(step, lambda: self._attempt(step, body))

    def _attempt(self, step: str, body: Callable[[], T]) -> T:
        """One attempt: log in if needed, run ``body`` (renewing an expired session once)."""
        try:
            self._ensure_logged_in()
            self._tracer.start_chunk(step)
            try:
                result = body()
            except SessionExpired:
                log.info("%s: the portal session expired; logging in again", step)
                self._tracer.stop()
                self._logged_in = False
                self._ensure_logged_in()
                self._tracer.start_chunk(step)
                try:
                    result = body()
                except SessionExpired as exc:
                    raise PortalUnavailable(
                        f"{step}: the session expired again right after logging in"
                    ) from exc
        except (PortalError, PlaywrightError) as exc:
            error = exc if isinstance(exc, PortalError) else _transient(step, exc)
            page = self._nav.page if self._nav else None
            saved = self._evidence.capture(step, page, self._tracer.save)
            error.evidence = (*error.evidence, *saved)
            if error is exc:
                raise
            raise error from exc
        self._tracer.discard_chunk()
        return result

    def _ensure_logged_in(self) -> None:
        if self._logged_in:
            return
        if not self.settings.username:
            raise LoginFailed("portal.username is not set in the config")
        self.navigator.log_in(self.settings.username, self._password_provider)
        self._logged_in = True
        if self._context is not None:
            self._sessions.save(dict(self._context.storage_state()))
        self._tracer.start()


def _transient(step: str, exc: PlaywrightError) -> PortalUnavailable:
    first_line = (exc.message or str(exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    return PortalUnavailable(f"{step}: {first_line}")


def chromium_launches(settings: PortalSettings, downloads_dir: Path) -> str:
    """Start and close Chromium the way the client does; its version (for ``doctor``).

    Raises:
        PortalPermanentError: Chromium cannot start (the message says why).
    """
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(**launch_options(settings, downloads_dir))
        except (PlaywrightError, FileNotFoundError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise PortalPermanentError(f"could not start Chromium: {first}") from exc
        try:
            return f"{browser.browser_type.name} {browser.version}"
        finally:
            browser.close()
