"""Evidence of failed attempts: a screenshot and a Playwright trace, owner-only.

Each failed attempt gets its own folder ``<evidence_dir>/<UTC timestamp>-<step>/`` (0700)
holding ``page.png`` and, when tracing was on, ``trace.zip`` (0600; open it with
``playwright show-trace``). Both can show certified persons' data: they are personal data.

Secrets: tracing only starts after login (``portal.browser``), so the typed password is in
no trace; before any screenshot every password field on the page is emptied, so a login form
is never captured with a typed password.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from builders.files import ensure_private_dir

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

log = logging.getLogger(__name__)

SCREENSHOT_NAME = "page.png"
TRACE_NAME = "trace.zip"
_CLEAR_PASSWORDS_JS = (
    "() => document.querySelectorAll('input[type=password]').forEach(e => { e.value = ''; })"
)
_SCREENSHOT_TIMEOUT_MS = 10_000


class EvidenceRecorder:
    """Saves the evidence of failed attempts under one folder.

    Args:
        evidence_dir: Root folder (created 0700).
        clock: Current UTC time (injectable for tests).
    """

    def __init__(
        self, evidence_dir: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.evidence_dir = evidence_dir
        self._clock = clock

    def new_folder(self, step: str) -> Path:
        """A fresh owner-only folder for one failed attempt of ``step``."""
        ensure_private_dir(self.evidence_dir)
        stamp = self._clock().strftime("%Y%m%dT%H%M%S.%fZ")
        safe_step = re.sub(r"[^A-Za-z0-9_.-]+", "_", step)[:60] or "step"
        folder = self.evidence_dir / f"{stamp}-{safe_step}"
        counter = 1
        while folder.exists():
            counter += 1
            folder = self.evidence_dir / f"{stamp}-{safe_step}-{counter}"
        return ensure_private_dir(folder)

    def capture(
        self,
        step: str,
        page: Page | None,
        save_trace: Callable[[Path], bool] | None = None,
    ) -> tuple[Path, ...]:
        """Save a screenshot of ``page`` and the trace of the step; return the saved paths.

        Best effort: a failure while saving evidence is logged and never hides the error
        being documented.

        Args:
            step: Name of the failed step (part of the folder name).
            page: The page to screenshot, if any.
            save_trace: Writes the step's trace to the given path and returns True, or
                returns False when no trace was being recorded.
        """
        folder = self.new_folder(step)
        saved: list[Path] = []
        if page is not None:
            shot = folder / SCREENSHOT_NAME
            try:
                _clear_passwords(page)
                page.screenshot(path=str(shot), full_page=True, timeout=_SCREENSHOT_TIMEOUT_MS)
            # A broken page or closed browser must not mask the failure we are documenting.
            except Exception as exc:  # noqa: BLE001
                log.warning("%s: could not take a screenshot: %s", step, exc)
            else:
                saved.append(_private(shot))
        if save_trace is not None:
            trace = folder / TRACE_NAME
            try:
                recorded = save_trace(trace)
            # Same reason: the trace is evidence, not the outcome.
            except Exception as exc:  # noqa: BLE001
                log.warning("%s: could not save the trace: %s", step, exc)
            else:
                if recorded and trace.exists():
                    saved.append(_private(trace))
        if saved:
            log.info("%s: evidence saved in %s", step, folder)
        return tuple(saved)


class StepTracer:
    """Playwright tracing, one chunk per step, kept only when the step fails.

    ``start`` is called after login, ``stop`` before logging in again: no chunk ever covers a
    typed password. ``save`` is what ``EvidenceRecorder.capture`` calls to keep a chunk.

    Args:
        context: The browser context to trace (None: tracing is a no-op).
    """

    def __init__(self, context: BrowserContext | None = None) -> None:
        self._context = context
        self._on = False
        self._chunk = False

    def start(self) -> None:
        """Start tracing (no-op when already on)."""
        if self._context is None or self._on:
            return
        self._context.tracing.start(screenshots=True, snapshots=True, sources=False)
        self._context.tracing.stop_chunk()  # keep nothing from before the first step
        self._on = True

    def stop(self) -> None:
        """Stop tracing and drop whatever was not saved."""
        if self._context is not None and self._on:
            self._context.tracing.stop()
        self._on = False
        self._chunk = False

    def start_chunk(self, step: str) -> None:
        """Begin recording one step (when tracing is on)."""
        if self._context is not None and self._on and not self._chunk:
            self._context.tracing.start_chunk(title=step)
            self._chunk = True

    def discard_chunk(self) -> None:
        """The step succeeded: forget its recording."""
        if self._context is not None and self._chunk:
            self._context.tracing.stop_chunk()
        self._chunk = False

    def save(self, path: Path) -> bool:
        """Write the step's recording to ``path``; False when nothing was being recorded."""
        if self._context is None or not self._chunk:
            return False
        self._chunk = False
        self._context.tracing.stop_chunk(path=str(path))
        return True


def _clear_passwords(page: Page) -> None:
    """Empty every password field; if the page is mid-navigation, wait for it and try again.

    Raises the last error when the fields could not be cleared: then no screenshot is taken.
    """
    try:
        page.evaluate(_CLEAR_PASSWORDS_JS)
    # Typically "execution context was destroyed": a navigation was still landing.
    except Exception:  # noqa: BLE001
        page.wait_for_load_state("domcontentloaded", timeout=_SCREENSHOT_TIMEOUT_MS)
        page.evaluate(_CLEAR_PASSWORDS_JS)


def _private(path: Path) -> Path:
    path.chmod(0o600)
    return path
