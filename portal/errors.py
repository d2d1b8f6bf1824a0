"""Portal errors. Callers tell "retry later" from "stop and tell the operator" by class.

PortalError
├── PortalUnavailable      transient: timeout, HTTP 5xx, maintenance page, lost session
│                          mid-step. Retried with backoff within a bounded total time.
└── PortalPermanentError   permanent: retrying cannot help; the operator must act.
    ├── LoginFailed        bad credentials, locked account, unexpected second factor
    ├── DepositRefused     the portal refused the file (extension, size, ...)
    ├── UnknownStatusLabel a status text the portal profile does not map
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


class UnknownStatusLabel(PortalPermanentError):
    """A status label absent from the portal profile's mapping; never guessed."""

    def __init__(self, label: str, *, file_name: str | None = None) -> None:
        where = f" for file {file_name}" if file_name else ""
        super().__init__(
            f"unknown portal status label {label!r}{where}: add it to "
            "[portal.profile.status_labels] in the config"
        )
        self.label = label


class ProfileMismatch(PortalPermanentError):
    """A page did not contain an element the portal profile says it has."""
