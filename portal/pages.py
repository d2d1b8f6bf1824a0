"""Locators built from the portal profile, and reading the history table.

Nothing here knows the portal's markup: every label, selector and column name comes from
``PortalProfile``. Elements are found the way a person finds them: form fields by their label,
links and buttons by their visible name, the history table by its column headers.
Playwright types are only imported for type checking; ``portal.browser`` drives the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portal.base import HistoryEntry
from portal.errors import ProfileMismatch
from portal.profile import PortalProfile

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def clickable(page: Page | Locator, label: str, *, exact: bool = True) -> Locator:
    """A link, button or tab named ``label`` (the portal may use any of them)."""
    return (
        page.get_by_role("link", name=label, exact=exact)
        .or_(page.get_by_role("button", name=label, exact=exact))
        .or_(page.get_by_role("tab", name=label, exact=exact))
        .first
    )


def username_field(page: Page, profile: PortalProfile) -> Locator:
    """The identifiant input of the login form."""
    return page.get_by_label(profile.username_label, exact=True).first


def password_field(page: Page, profile: PortalProfile) -> Locator:
    """The mot de passe input; visible means "on the login page"."""
    return page.get_by_label(profile.password_label, exact=True).first


def login_button(page: Page, profile: PortalProfile) -> Locator:
    """The login form's submit button."""
    return page.get_by_role("button", name=profile.login_button_label, exact=True).first


def otp_field(page: Page, profile: PortalProfile) -> Locator:
    """The one-time-code input of a second login step, if the portal has one."""
    return page.get_by_label(profile.otp_label, exact=True).first


def logout_control(page: Page, profile: PortalProfile) -> Locator:
    """The logout link or button; visible means "logged in"."""
    return clickable(page, profile.logout_label)


def error_message(page: Page, profile: PortalProfile) -> Locator:
    """Where the portal shows errors (login refused, file refused)."""
    return page.locator(profile.error_message_selector).first


def maintenance_message(page: Page, profile: PortalProfile) -> Locator:
    """Any visible text containing one of the profile's maintenance words."""
    pattern = "|".join(re.escape(text) for text in profile.maintenance_texts)
    return page.get_by_text(re.compile(pattern, re.IGNORECASE)).first


def file_input(page: Page, profile: PortalProfile) -> Locator:
    """The deposit form's file input (may be visually hidden behind a styled button)."""
    return page.locator(profile.file_input_selector).first


def upload_button(page: Page, profile: PortalProfile) -> Locator:
    """The deposit form's submit button."""
    return page.get_by_role("button", name=profile.upload_button_label, exact=True).first


def history_table(page: Page, profile: PortalProfile) -> Locator:
    """The table whose headers include the file-name and status columns."""
    return (
        page.locator(profile.history_table_selector)
        .filter(has=page.get_by_role("columnheader", name=profile.column_file_name, exact=True))
        .filter(has=page.get_by_role("columnheader", name=profile.column_status, exact=True))
        .first
    )


def history_empty(page: Page, profile: PortalProfile) -> Locator:
    """The text the history page shows when nothing was deposited yet."""
    return page.get_by_text(profile.history_empty_text, exact=False).first


def history_row(page: Page, profile: PortalProfile, file_name: str) -> Locator:
    """The history row whose file-name cell is exactly ``file_name``."""
    table = history_table(page, profile)
    return table.locator("tr").filter(has=page.get_by_role("cell", name=file_name, exact=True))


def next_page_link(page: Page, profile: PortalProfile) -> Locator:
    """The history's link to its next page (absent on the last page)."""
    return clickable(page, profile.history_next_page_label)


def document_link(row: Locator, label: str) -> Locator:
    """The receipt or report control inside a history row (name contains ``label``)."""
    return clickable(row, label, exact=False)


@dataclass(frozen=True)
class RawRow:
    """One history row as text: its cells and the names of its links and buttons."""

    cells: tuple[str, ...]
    controls: tuple[str, ...]


_READ_TABLE_JS = """
table => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const headerRow = table.tHead && table.tHead.rows.length ? table.tHead.rows[0] : table.rows[0];
  const headers = headerRow ? Array.from(headerRow.cells).map(c => norm(c.innerText)) : [];
  const rows = [];
  for (const row of Array.from(table.rows)) {
    if (row === headerRow || (row.parentElement && row.parentElement.tagName === 'THEAD')) {
      continue;
    }
    rows.push({
      cells: Array.from(row.cells).map(c => norm(c.innerText)),
      controls: Array.from(row.querySelectorAll('a, button')).map(
        a => norm(a.innerText || a.getAttribute('aria-label') || a.getAttribute('title'))),
    });
  }
  return {headers, rows};
}
"""


def read_table(table: Locator) -> tuple[list[str], list[RawRow]]:
    """Header texts and rows of a table, read in one round trip."""
    data = table.evaluate(_READ_TABLE_JS)
    headers = [str(text) for text in data["headers"]]
    rows = [
        RawRow(
            cells=tuple(str(c) for c in row["cells"]),
            controls=tuple(str(c) for c in row["controls"]),
        )
        for row in data["rows"]
    ]
    return headers, rows


def parse_history(
    headers: list[str], rows: list[RawRow], profile: PortalProfile
) -> list[HistoryEntry]:
    """History entries from the table's text, states mapped through the profile.

    Raises:
        ProfileMismatch: a configured column is missing, or a row does not fit the table.

    A status the profile does not map gives ``DepositState.UNKNOWN`` (never guessed): it
    matters only if the row is one of the agent's own files.
    """
    columns = {}
    for key in ("column_file_name", "column_deposited_at", "column_status"):
        label: str = getattr(profile, key)
        if label not in headers:
            raise ProfileMismatch(
                f"history table has no column {label!r} (profile {key}); columns: {headers}"
            )
        columns[key] = headers.index(label)
    needed = max(columns.values())
    entries = []
    for row in rows:
        if len(row.cells) <= needed:
            if profile.history_empty_text in " ".join(row.cells) or not any(row.cells):
                continue
            raise ProfileMismatch(f"history row {row.cells} does not match columns {headers}")
        file_name = row.cells[columns["column_file_name"]]
        label = row.cells[columns["column_status"]]
        state = profile.row_state(label)
        entries.append(
            HistoryEntry(
                file_name=file_name,
                deposited_at=row.cells[columns["column_deposited_at"]],
                status_label=" ".join(label.split()),
                state=state,
                receipt_available=_has_control(row, profile.receipt_link_label),
                report_available=_has_control(row, profile.report_link_label),
            )
        )
    return entries


def _has_control(row: RawRow, label: str) -> bool:
    return any(label in name for name in row.controls)
