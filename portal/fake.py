"""An in-memory ``Portal`` for fast tests of the agent's logic.

It keeps the same semantics as the browser client (``portal.browser``): operations log in on
demand, ``deposit`` reads the history first and uploads nothing when the file name is already
there, a deposit is confirmed by its history row, status labels are mapped through the portal
profile and an unknown label gives ``DepositState.UNKNOWN``. The same contract suite
(``tests/contract``) runs against both.

The object plays both sides: the "portal" (its state survives leaving the context manager, like
a real server across agent runs) and the client. Test hooks:

- ``fail_next(error, method=None)`` queues an error raised by the next call (of ``method`` if
  given) before it does anything;
- ``lose_next_confirmation()`` makes the next upload be stored but raise ``PortalUnavailable``
  instead of confirming (the "lost confirmation" case);
- ``process(file_name, report_xml, state=...)`` finishes processing: sets the status and stores
  the accusé de traitement that ``fetch_document`` will save;
- ``set_status_label(file_name, label)`` shows an arbitrary status text;
- ``calls`` lists every call made, ``uploads`` every file actually uploaded.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from portal.base import DepositResult, DepositState, DocumentKind, HistoryEntry, SavedDocument
from portal.documents import save_document
from portal.errors import (
    DepositRefused,
    DocumentNotAvailable,
    LoginFailed,
    PortalError,
    PortalUnavailable,
)
from portal.profile import PortalProfile

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # the portal's documented per-file limit (portal.md §1.4)


@dataclass
class _Row:
    file_name: str
    deposited_at: str
    status_label: str
    receipt: bytes
    content: bytes
    report: bytes | None = None


@dataclass
class _Failure:
    error: PortalError
    method: str | None


@dataclass
class FakePortal:
    """In-memory portal and client. See the module docstring for the test hooks.

    Args:
        profile: Page profile; only its status-label mapping matters here.
        username: The account's identifiant (informational).
        password: The account's password.
        password_provider: Returns the password the client logs in with; defaults to the
            right one.
        clock: Returns "now" for deposit dates (injectable for deterministic tests).
    """

    profile: PortalProfile = field(default_factory=PortalProfile)
    username: str = "demo"
    password: str = "demo"  # noqa: S105 - an in-memory test account
    password_provider: Callable[[], str] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    max_document_bytes: int = 50_000_000  # the client's cap ([portal] max_document_bytes)
    calls: list[tuple[str, str]] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    _rows: dict[str, _Row] = field(default_factory=dict, repr=False)
    _failures: deque[_Failure] = field(default_factory=deque, repr=False)
    _lose_confirmations: int = 0
    _logged_in: bool = False
    _entered: bool = False

    # -- test hooks -----------------------------------------------------------------------

    def fail_next(self, error: PortalError, method: str | None = None) -> None:
        """Queue ``error`` for the next call (of ``method``: "login", "deposit", ...)."""
        self._failures.append(_Failure(error, method))

    def lose_next_confirmation(self) -> None:
        """The next upload is stored, but its confirmation fails with PortalUnavailable."""
        self._lose_confirmations += 1

    def process(
        self,
        file_name: str,
        report_xml: bytes | None = None,
        state: DepositState = DepositState.PROCESSED,
        *,
        label: str | None = None,
    ) -> None:
        """Finish processing ``file_name``: set its status and store its report bytes."""
        row = self._rows[file_name]
        row.status_label = label or self.label_for(state)
        if report_xml is not None:
            row.report = report_xml

    def set_status_label(self, file_name: str, label: str) -> None:
        """Show ``label`` as the status of ``file_name`` (e.g. one the profile lacks)."""
        self._rows[file_name].status_label = label

    def client(
        self,
        *,
        profile: PortalProfile | None = None,
        password_provider: Callable[[], str] | None = None,
    ) -> FakePortal:
        """Another client of the same portal (shared deposits, calls and queued failures)."""
        return replace(
            self,
            profile=profile or self.profile,
            password_provider=password_provider or self.password_provider,
            _logged_in=False,
            _entered=False,
        )

    def uploaded_content(self, file_name: str) -> bytes:
        """The bytes the portal received for ``file_name``."""
        return self._rows[file_name].content

    def label_for(self, state: DepositState) -> str:
        """The first profile label that maps to ``state``."""
        for label, mapped in self.profile.status_labels.items():
            if mapped is state:
                return label
        raise KeyError(f"the profile has no status label for {state}")

    # -- Portal protocol ------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self._logged_in = False

    def login(self) -> None:
        """Check the password from the provider, like the portal's login form."""
        self._call("login", "")
        self._login()

    def logout(self) -> None:
        """End the session."""
        self._call("logout", "")
        self._logged_in = False

    def history(self) -> list[HistoryEntry]:
        """Every deposit, newest first, with states mapped through the profile."""
        self._call("history", "")
        self._ensure_session()
        return [self._entry(row) for row in reversed(self._rows.values())]

    def find_deposit(self, file_name: str) -> HistoryEntry | None:
        """The history row for ``file_name``, or None."""
        self._call("find_deposit", file_name)
        self._ensure_session()
        row = self._rows.get(file_name)
        return None if row is None else self._entry(row)

    def deposit(self, path: Path) -> DepositResult:
        """Upload ``path`` unless its name is in the history; confirm from the history."""
        name = path.name
        self._call("deposit", name)
        self._ensure_session()
        existing = self._rows.get(name)
        if existing is not None:
            log.info("deposit: %s already in the portal history, not uploading", name)
            return DepositResult(self._entry(existing), uploaded=False)
        if path.suffix.lower() != ".xml":
            raise DepositRefused(f"{name}: seuls les fichiers .xml sont acceptés")
        content = path.read_bytes()
        if len(content) > MAX_UPLOAD_BYTES:
            raise DepositRefused(f"{name}: le fichier dépasse 200 Mo")
        deposited_at = self.clock().strftime("%d/%m/%Y %H:%M")
        receipt = (
            f"Accusé de réception (fake portal)\nFichier : {name}\nDate : {deposited_at}\n"
            f"Taille : {len(content)} octets\nRésultat : OK\n"
        ).encode()
        self._rows[name] = _Row(
            file_name=name,
            deposited_at=deposited_at,
            status_label=self.label_for(DepositState.PROCESSING),
            receipt=receipt,
            content=content,
        )
        self.uploads.append(name)
        if self._lose_confirmations:
            self._lose_confirmations -= 1
            raise PortalUnavailable(f"{name}: upload sent but its confirmation failed (HTTP 500)")
        return DepositResult(self._entry(self._rows[name]), uploaded=True)

    def fetch_document(self, file_name: str, kind: DocumentKind, dest_dir: Path) -> SavedDocument:
        """Save the receipt or report of ``file_name`` into ``dest_dir`` (owner-only)."""
        self._call("fetch_document", f"{file_name}:{kind.value}")
        self._ensure_session()
        row = self._rows.get(file_name)
        if row is None:
            raise DocumentNotAvailable(f"{file_name}: not in the portal history")
        data = row.receipt if kind is DocumentKind.RECEIPT else row.report
        if data is None:
            raise DocumentNotAvailable(f"{file_name}: no {kind.value} available yet")
        suffix = ".txt" if kind is DocumentKind.RECEIPT else ".xml"
        return save_document(
            [data],
            kind=kind,
            file_name=file_name,
            dest_dir=dest_dir,
            suffix=suffix,
            max_bytes=self.max_document_bytes,
        )

    # -- internals ------------------------------------------------------------------------

    def _call(self, method: str, argument: str) -> None:
        if not self._entered:
            raise RuntimeError("use the portal as a context manager: `with portal: ...`")
        self.calls.append((method, argument))
        if self._failures and self._failures[0].method in (None, method):
            raise self._failures.popleft().error

    def _login(self) -> None:
        given = self.password_provider() if self.password_provider else self.password
        if given != self.password:
            self._logged_in = False
            raise LoginFailed("the portal refused the identifiant or the mot de passe")
        self._logged_in = True

    def _ensure_session(self) -> None:
        if not self._logged_in:
            self._login()

    def _entry(self, row: _Row) -> HistoryEntry:
        state = self.profile.row_state(row.status_label)
        return HistoryEntry(
            file_name=row.file_name,
            deposited_at=row.deposited_at,
            status_label=row.status_label,
            state=state,
            receipt_available=True,
            report_available=row.report is not None,
        )
