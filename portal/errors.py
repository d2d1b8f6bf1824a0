"""Portal errors. Callers tell "retry later" from "stop and tell the operator" by class.

PortalError
├── PortalUnavailable      transient: timeout, HTTP 5xx, maintenance page, lost session
│   │                      mid-step. Retried with backoff within a bounded total time.
│   └── PortalMaintenance  the portal shows its maintenance page (with its end, if given)
└── PortalPermanentError   permanent: retrying cannot help; the operator must act.
    ├── LoginFailed        bad credentials, locked account, unexpected second factor
    ├── DepositRefused     the portal refused the file (extension, size, ...)
    ├── DocumentRefused    a receipt or report the agent will not store (over the size cap)
    └── ProfileMismatch    the page does not have what the portal profile describes
"""

from __future__ import annotations

from pathlib import Path


class PortalError(Exception):
    """Base of every portal error. ``evidence`` lists screenshots/traces saved for it."""

    def __init__(self, message: str, *, evidence: tuple[Path, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence


class PortalUnavailable(PortalError):
    """Transient failure: try again later."""


class PortalMaintenance(PortalUnavailable):
    """The portal shows a maintenance page; ``seconds_left`` until its announced end, if any."""

    def __init__(self, message: str, *, seconds_left: float | None = None) -> None:
        super().__init__(message)
        self.seconds_left = seconds_left


class DocumentNotAvailable(PortalUnavailable):
    """The portal has no such document (yet): its history row lacks the link.

    A ``PortalUnavailable`` (ask again later), but the client does not retry it on the spot:
    a report appears hours or days after the deposit, not seconds.
    """


class PortalPermanentError(PortalError):
    """Permanent failure: stop and tell the operator."""


class LoginFailed(PortalPermanentError):
    """The portal refused the credentials, or login needs a step the agent cannot do."""


class DepositRefused(PortalPermanentError):
    """The portal refused the uploaded file; ``message`` is the portal's own text."""


class DocumentRefused(PortalPermanentError):
    """A receipt or report the agent refuses to download or store (over the size cap)."""


class ProfileMismatch(PortalPermanentError):
    """A page did not contain an element the portal profile says it has."""
