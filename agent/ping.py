"""Dead-man's-switch pings: ``[notify] ping_url`` hears start, success and fail of every run.

The shape healthchecks.io (and Uptime Kuma's healthchecks-compatible monitors) accept:
``POST <url>/start`` when a run starts, ``POST <url>`` when it succeeds, ``POST <url>/fail``
when it fails, with the run's one-line summary as the body. The start ping is sent in the
background, so a slow monitor never delays a deposit; the end ping waits for it (order kept)
with a short timeout. A failed ping is logged, never raised: monitoring never masks the run.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.notify_settings import SECRET
from portal.errors import PortalError

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0

Post = Callable[[str, bytes], None]


def http_post(url: str, body: bytes) -> None:
    """POST ``body`` to ``url`` (http or https only).

    Raises:
        OSError: the request failed (urllib's errors are OSErrors).
        ValueError: not an http(s) URL.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError("ping_url must be an http:// or https:// URL")
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=TIMEOUT_S):  # noqa: S310 - scheme checked
        pass


def ping_target(base: str, what: str, secret: Callable[[str], str]) -> str:
    """The URL of one ping: ``base`` (secrets filled), plus ``/start`` or ``/fail``."""
    url = SECRET.sub(lambda m: secret(m.group(1)), base).rstrip("/")
    return url if what == "success" else f"{url}/{what}"


@dataclass
class Pinger:
    """Pings for one run; a no-op without a ping URL."""

    base: str | None
    secret: Callable[[str], str]
    post: Post = http_post
    _start: threading.Thread | None = field(default=None, repr=False)

    def _send(self, what: str, body: str) -> None:
        if not self.base:
            return
        try:
            self.post(ping_target(self.base, what, self.secret), body.encode("utf-8"))
        # Network failures, a bad URL, a keyring that cannot give the secret: all logged.
        except (OSError, ValueError, RuntimeError, PortalError) as exc:
            log.warning("monitoring ping %r failed: %s", what, exc)

    def start(self) -> None:
        """Send the start ping in the background."""
        if self.base:
            self._start = threading.Thread(
                target=self._send, args=("start", "run started"), daemon=True
            )
            self._start.start()

    def finish(self, *, ok: bool, summary: str) -> None:
        """Send success or fail (after the start ping, which gets a bounded wait)."""
        if self._start is not None:
            self._start.join(TIMEOUT_S)
        self._send("success" if ok else "fail", summary)
