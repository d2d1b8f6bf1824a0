"""Is the portal there? One plain HTTP request, no browser and no retries.

``doctor``, ``credentials check`` and ``portal probe`` ask this first, so that a wrong
``base_url`` or a portal that is down is reported in a second, with the reason (connection
refused, unknown host, TLS, HTTP 5xx), instead of after minutes of browser retries. The
service keeps its retries: there an outage is worth waiting for.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from portal.errors import PortalPermanentError
from portal.settings import PortalSettings

#: One fast attempt: never longer than this, whatever [portal] action_timeout_s says.
MAX_TIMEOUT_S = 10.0


class PortalUnreachable(PortalPermanentError):
    """The portal did not answer the one request (the message says why and what to check)."""


@dataclass(frozen=True)
class Reach:
    """The outcome of the one request."""

    url: str
    ok: bool
    detail: str


def login_url(settings: PortalSettings) -> str:
    """The login page's address: ``base_url`` + ``[portal.profile] login_path``."""
    return settings.base_url.rstrip("/") + settings.profile.login_path


def _reason(exc: BaseException, timeout_s: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout_s:.0f} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason.reason or reason}"
    return str(reason)


def check_reachable(settings: PortalSettings, *, timeout_s: float | None = None) -> Reach:
    """Request the login page once; any HTTP answer below 500 means the portal is there."""
    url = login_url(settings)
    timeout = min(timeout_s or settings.action_timeout_s, MAX_TIMEOUT_S)
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"User-Agent": "accrochage-agent"})  # noqa: S310 - base_url is validated http(s)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - same
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        return Reach(url, False, f"cannot connect to {url}: {_reason(exc, timeout)}")
    elapsed = time.monotonic() - started
    if status >= 500:
        return Reach(url, False, f"{url} answered HTTP {status} (down or in maintenance)")
    return Reach(url, True, f"{url} answered HTTP {status} in {elapsed:.1f} s")


def require_reachable(settings: PortalSettings) -> None:
    """Stop at once when the portal does not answer.

    Raises:
        PortalUnreachable: the reason, the one-attempt note and what to check.
    """
    reach = check_reachable(settings)
    if not reach.ok:
        raise PortalUnreachable(
            f"{reach.detail} (one attempt, nothing retried): check [portal] base_url "
            f"= {settings.base_url!r} and that the portal is up"
        )
