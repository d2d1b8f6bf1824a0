"""What the page has instead: the closest labels, controls and texts to a profile entry.

When ``portal probe`` does not find a profile entry, it reads every label, link, button,
tab, column header and short text visible on that page and ranks them by similarity to the
configured value (``difflib``), so calibrating the profile against the real portal is a
matter of copying a line, not of reading HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: Which kinds of page items can stand for each profile entry.
_FIELD = ("label",)
_CONTROL = ("link", "button", "tab")
ENTRY_KINDS: dict[str, tuple[str, ...]] = {
    "username_label": _FIELD,
    "password_label": _FIELD,
    "otp_label": _FIELD,
    "login_button_label": ("button",),
    "otp_button_label": ("button",),
    "upload_button_label": ("button",),
    "logout_label": _CONTROL,
    "deposit_tab_label": _CONTROL,
    "deposit_link_label": _CONTROL,
    "history_link_label": _CONTROL,
    "receipt_link_label": _CONTROL,
    "report_link_label": _CONTROL,
    "column_file_name": ("column",),
    "column_deposited_at": ("column",),
    "column_status": ("column",),
    "history_empty_text": ("text",),
    "file_input_selector": ("selector",),
    "history_table_selector": ("selector",),
}
#: Below this similarity a candidate is listed, but not offered as the line to paste.
PASTE_RATIO = 0.4
_MAX_SHOWN = 3

_ITEMS_JS = """
() => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const shown = el => el.getClientRects().length > 0;
  const out = [];
  const add = (kind, text) => {
    text = norm(text);
    if (text && text.length <= 120) out.push([kind, text]);
  };
  for (const el of document.querySelectorAll('label')) if (shown(el)) add('label', el.innerText);
  for (const el of document.querySelectorAll('input, textarea, select')) {
    if (!shown(el)) continue;
    add('label', el.getAttribute('aria-label'));
    add('label', el.getAttribute('placeholder'));
  }
  const controls = 'a, button, [role=button], [role=tab], [role=link], '
    + 'input[type=submit], input[type=button]';
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el)) continue;
    const role = el.getAttribute('role')
      || (el.tagName === 'A' ? 'link' : 'button');
    add(role, el.getAttribute('aria-label') || el.innerText || el.value);
  }
  for (const el of document.querySelectorAll('th, [role=columnheader]')) {
    if (shown(el)) add('column', el.innerText);
  }
  for (const el of document.querySelectorAll('h1, h2, h3, p, li, td, span, div, [role=alert]')) {
    if (shown(el) && el.children.length === 0) add('text', el.innerText);
  }
  for (const el of document.querySelectorAll('input[type=file]')) {
    add('selector', el.id ? '#' + CSS.escape(el.id)
      : el.name ? 'input[type=file][name="' + el.name + '"]' : 'input[type=file]');
  }
  for (const el of document.querySelectorAll('table')) {
    if (!shown(el)) continue;
    add('selector', el.id ? 'table#' + CSS.escape(el.id)
      : el.classList.length ? 'table.' + CSS.escape(el.classList[0]) : 'table');
  }
  return out;
}
"""


@dataclass(frozen=True)
class Candidate:
    """One item of the page, with its similarity to the configured value (0 to 1)."""

    text: str
    kind: str
    ratio: float


def page_items(page: Page) -> list[tuple[str, str]]:
    """Every (kind, text) item visible on ``page`` (see ``_ITEMS_JS``)."""
    return [(str(kind), str(text)) for kind, text in page.evaluate(_ITEMS_JS)]


def closest(entry: str, value: str, items: list[tuple[str, str]]) -> tuple[Candidate, ...]:
    """The page items most like ``value`` among the kinds that can stand for ``entry``."""
    kinds = ENTRY_KINDS.get(entry)
    if kinds is None:
        return ()
    wanted = value.casefold()
    seen: dict[str, Candidate] = {}
    for kind, text in items:
        if kind not in kinds or text in seen or text == value:
            continue
        ratio = SequenceMatcher(None, wanted, text.casefold()).ratio()
        seen[text] = Candidate(text, kind, ratio)
    ranked = sorted(seen.values(), key=lambda c: (-c.ratio, c.text))
    return tuple(ranked[:_MAX_SHOWN])


def paste_line(entry: str, candidates: tuple[Candidate, ...]) -> str | None:
    """The ``[portal.profile]`` line to paste for the best candidate, if it is close enough
    (selectors are offered whatever their similarity: there is nothing to compare)."""
    if not candidates:
        return None
    best = candidates[0]
    if best.kind != "selector" and best.ratio < PASTE_RATIO:
        return None
    return f"{entry} = {json.dumps(best.text, ensure_ascii=False)}"
