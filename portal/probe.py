"""``accrochage portal probe``: check the portal profile against the real pages, uploading nothing.

The probe logs in, walks to the deposit form and to the history, takes a screenshot of each
page, and records for every profile entry whether the page has it. An operator runs it on day
one against the real portal and adjusts ``[portal.profile]`` until everything is found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from builders.files import ensure_private_dir
from portal import pages
from portal.errors import PortalError, ProfileMismatch
from portal.probe_hints import Candidate, closest, page_items, paste_line

if TYPE_CHECKING:
    from playwright.sync_api import Locator

    from portal.browser import PlaywrightPortal

log = logging.getLogger(__name__)

_COLUMNS = ("column_file_name", "column_deposited_at", "column_status")


@dataclass(frozen=True)
class ProbeCheck:
    """One profile entry looked for on one page. ``found`` is None when not checked."""

    page: str
    entry: str
    value: str
    found: bool | None
    note: str = ""
    #: For an entry NOT FOUND: the page's closest items, and the profile line to paste.
    closest: tuple[Candidate, ...] = ()
    paste: str | None = None


@dataclass
class ProbeReport:
    """Every check, the screenshots taken, and the error that stopped the walk, if any."""

    checks: list[ProbeCheck] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is missing and the walk completed."""
        return self.error is None and all(check.found is not False for check in self.checks)


class _Walk:
    def __init__(self, portal: PlaywrightPortal, out_dir: Path, report: ProbeReport) -> None:
        self.portal = portal
        self.nav = portal.navigator
        self.page = portal.page
        self.profile = portal.profile
        self.out_dir = out_dir
        self.report = report

    def check(self, where: str, entry: str, locator: Locator, note: str = "") -> bool:
        found = locator.count() > 0 and (entry == "file_input_selector" or locator.is_visible())
        value = str(getattr(self.profile, entry))
        self.report.checks.append(self._checked(where, entry, value, found, note))
        return found

    def _checked(
        self,
        where: str,
        entry: str,
        value: str,
        found: bool,
        note: str,
        items: list[tuple[str, str]] | None = None,
    ) -> ProbeCheck:
        """A check; when NOT FOUND, with what the page has instead."""
        if found:
            return ProbeCheck(where, entry, value, found, note)
        candidates = closest(entry, value, page_items(self.page) if items is None else items)
        return ProbeCheck(
            where, entry, value, found, note, candidates, paste_line(entry, candidates)
        )

    def skip(self, where: str, entry: str, note: str) -> None:
        value = str(getattr(self.profile, entry))
        self.report.checks.append(ProbeCheck(where, entry, value, None, note))

    def shoot(self, name: str) -> None:
        path = self.out_dir / f"{len(self.report.screenshots) + 1:02d}-{name}.png"
        self.page.evaluate(
            "() => document.querySelectorAll('input[type=password]')"
            ".forEach(e => { e.value = ''; })"
        )
        self.page.screenshot(path=str(path), full_page=True)
        path.chmod(0o600)
        self.report.screenshots.append(path)

    def login_page(self) -> None:
        self.nav.goto(self.nav.home_url)
        self.page.wait_for_load_state("load")
        self.shoot("login")
        self.check("login", "username_label", pages.username_field(self.page, self.profile))
        self.check("login", "password_label", pages.password_field(self.page, self.profile))
        self.check("login", "login_button_label", pages.login_button(self.page, self.profile))

    def home(self) -> None:
        self.nav.open_home()
        self.shoot("home")
        self.check("home", "logout_label", pages.logout_control(self.page, self.profile))
        tab = pages.clickable(self.page, self.profile.deposit_tab_label)
        self.check("home", "deposit_tab_label", tab)

    def deposit_tab(self) -> None:
        self.nav.open_home()
        self.nav.click(pages.clickable(self.page, self.profile.deposit_tab_label))
        self.page.wait_for_load_state("load")
        self.shoot("deposit-tab")
        for entry in ("deposit_link_label", "history_link_label"):
            self.check(
                "deposit tab", entry, pages.clickable(self.page, getattr(self.profile, entry))
            )

    def deposit_form(self) -> None:
        note = ""
        try:
            self.nav.open_deposit_form()
        except ProfileMismatch as exc:  # still list what the page has and lacks
            log.warning("probe, deposit form: %s", exc.message)
            note = "the form may not be reached: fix the entries above first; "
        finally:
            self.shoot("deposit-form")
        file_input = pages.file_input(self.page, self.profile)
        self.check("deposit form", "file_input_selector", file_input, note.rstrip("; "))
        button = pages.upload_button(self.page, self.profile)
        self.check("deposit form", "upload_button_label", button, f"{note}not clicked")

    def history(self) -> None:
        try:
            self.nav.open_history()
        except ProfileMismatch as exc:  # still list what the page has and lacks
            log.warning("probe, history: %s", exc.message)
        finally:
            self.shoot("history")
        table = pages.history_table(self.page, self.profile)
        empty = pages.history_empty(self.page, self.profile)
        if not table.is_visible() and empty.is_visible():
            self.check("history", "history_empty_text", empty)
            for entry in ("history_table_selector", "column_file_name", "column_status"):
                self.skip("history", entry, "no deposit yet: probe again after the first one")
            return
        if not self.check("history", "history_table_selector", table, "with both headers"):
            any_table = self.page.locator(self.profile.history_table_selector).first
            if any_table.count() and any_table.is_visible():  # a table, other column names
                note = "a table matches, but without both columns below"
                self.report.checks[-1] = ProbeCheck(
                    "history", "history_table_selector", self.profile.history_table_selector,
                    False, note,
                )  # fmt: skip
                self._columns(pages.read_table(any_table)[0])
                return
            self.check("history", "history_empty_text", empty)
            for entry in _COLUMNS:
                self.skip("history", entry, "no history table")
            return
        headers, rows = pages.read_table(table)
        self._columns(headers)
        self._rows(headers, rows)

    def _columns(self, headers: list[str]) -> None:
        items = [("column", header) for header in headers]
        for entry in _COLUMNS:
            label = str(getattr(self.profile, entry))
            found = label in headers
            note = "" if found else f"columns are {headers}"
            self.report.checks.append(self._checked("history", entry, label, found, note, items))

    def _rows(self, headers: list[str], rows: list[pages.RawRow]) -> None:
        if not rows:
            for entry in ("receipt_link_label", "report_link_label"):
                self.skip("history", entry, "no deposit yet")
            return
        for entry in ("receipt_link_label", "report_link_label"):
            label = str(getattr(self.profile, entry))
            if any(label in name for row in rows for name in row.controls):
                self.report.checks.append(ProbeCheck("history", entry, label, True, "in a row"))
            else:
                note = "in no row yet (normal before the portal produces one)"
                self.report.checks.append(ProbeCheck("history", entry, label, None, note))
        if self.profile.column_status not in headers:
            return
        index = headers.index(self.profile.column_status)
        seen = sorted({row.cells[index] for row in rows if len(row.cells) > index})
        for label in seen:
            state = self.profile.state_of(label)
            note = f"-> {state.value}" if state else "add it to [portal.profile.status_labels]"
            self.report.checks.append(
                ProbeCheck("history", "status_labels", label, state is not None, note)
            )


def run_probe(portal: PlaywrightPortal, out_dir: Path) -> ProbeReport:
    """Walk the portal without uploading; screenshots go to ``out_dir`` (owner-only).

    The portal must be entered (``with portal:``) and built with ``reuse_session=False``
    so the login form is there to be checked.
    """
    ensure_private_dir(out_dir)
    report = ProbeReport()
    walk = _Walk(portal, out_dir, report)
    try:
        walk.login_page()
        portal.login()
    except PortalError as exc:
        report.error = f"login: {exc.message}"
        return report
    errors = []
    for name, stage in (
        ("home", walk.home),
        ("deposit tab", walk.deposit_tab),
        ("deposit form", walk.deposit_form),
        ("history", walk.history),
    ):
        try:
            stage()
        # A diagnostic walk reports a broken page and goes on with the next one.
        except Exception as exc:  # noqa: BLE001
            message = getattr(exc, "message", None) or str(exc).splitlines()[0]
            errors.append(f"{name}: {message}")
            log.warning("probe, %s: %s", name, message)
    portal.logout()
    report.error = "; ".join(errors) or None
    return report
