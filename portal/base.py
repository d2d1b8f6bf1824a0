"""The portal seen in the agent's own terms: log in, deposit, list, fetch documents.

No page, locator or click appears here. ``portal.browser`` implements this with Playwright
against the real portal or the replica; ``portal.fake`` implements it in memory for fast tests.
The same contract tests (tests/contract) run against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self


class DepositState(StrEnum):
    """What a history row's status label means (mapped through the portal profile)."""

    PROCESSING = "processing"  # received, processing not finished
    PROCESSED = "processed"  # "Traité avec succès": every passage accepted
    PROCESSED_WITH_ERRORS = "processed_with_errors"  # some passages KO, or XSD errors
    REJECTED = "rejected"  # file refused as a whole (accusé de réception KO)
    # A label the profile does not map. Never guessed: a row of one of the agent's own files
    # with it waits (with an event saying which label to add); other rows are only logged.
    UNKNOWN = "unknown"


class DocumentKind(StrEnum):
    RECEIPT = "accuse_reception"
    REPORT = "accuse_traitement"


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the portal's history of deposited files."""

    file_name: str
    deposited_at: str  # as the portal displays it
    status_label: str  # the portal's own text
    state: DepositState
    receipt_available: bool
    report_available: bool


@dataclass(frozen=True)
class DepositResult:
    """Outcome of ``Portal.deposit``: the confirming history row.

    ``uploaded`` is False when the history already held the file name, in which case
    nothing was sent (a previous attempt got through before a crash).
    """

    entry: HistoryEntry
    uploaded: bool


@dataclass(frozen=True)
class SavedDocument:
    """A receipt or report saved to disk (owner-only) with its SHA-256."""

    kind: DocumentKind
    file_name: str  # the deposited file it belongs to
    path: Path
    sha256: str
    size: int


class Portal(Protocol):
    """What the agent needs from the CDC portal. Implementations are context managers."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def login(self) -> None:
        """Log in (or reuse a valid session). Raises LoginFailed, PortalUnavailable."""

    def logout(self) -> None:
        """End the session."""

    def history(self) -> list[HistoryEntry]:
        """Every row of the history of deposited files, newest first."""

    def find_deposit(self, file_name: str) -> HistoryEntry | None:
        """The history row for ``file_name``, or None."""

    def deposit(self, path: Path) -> DepositResult:
        """Upload ``path`` unless the history already has its name; confirm from the history.

        Raises DepositRefused when the portal refuses the file, PortalUnavailable when the
        outcome could not be confirmed (the caller checks the history again later).
        """

    def fetch_document(self, file_name: str, kind: DocumentKind, dest_dir: Path) -> SavedDocument:
        """Download the receipt or report of a deposited file into ``dest_dir``."""
