"""Fetching a document by its address with the browser's cookies, streamed to disk, capped.

Used when the portal shows a receipt or report in the page instead of sending it as a
download: Chromium would render the whole document in memory (a 500 MB "report" drove the
process to 16 GB), so the client reads it from the address of its link, chunk by chunk, and
stops once it passes ``[portal] max_document_bytes``. Redirects are followed only within the
portal (the cookies must never leave it).
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import IO, Any

from portal.chromium import is_portal_request

log = logging.getLogger(__name__)

_CHUNK = 1 << 16


class LeftThePortal(Exception):
    """A redirect pointed outside the portal; not followed."""


class HttpFailure(Exception):
    """The server answered with an HTTP error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass
class Fetched:
    """An open answer: its final URL, headers, and the body still to read."""

    url: str
    headers: Mapping[str, str]
    body: IO[bytes]

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces (never held whole)."""
        while chunk := self.body.read(_CHUNK):
            yield chunk

    @property
    def length(self) -> int | None:
        """The announced Content-Length, if any."""
        value = self.headers.get("content-length", "")
        return int(value) if value.isdigit() else None


class _PortalOnly(urllib.request.HTTPRedirectHandler):
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not is_portal_request(newurl, self.origin):
            raise LeftThePortal(newurl.split("?", maxsplit=1)[0])
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_document(
    url: str,
    *,
    origin: str,
    cookies: Sequence[Mapping[str, Any]],
    user_agent: str,
    timeout_s: float,
    method: str = "GET",
) -> Fetched:
    """Open ``url`` (a portal address) with the browser session's cookies.

    Raises:
        LeftThePortal: a redirect pointed elsewhere.
        HttpFailure: an HTTP error status.
        OSError: the connection failed or timed out.
    """
    header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _PortalOnly(origin))
    request = urllib.request.Request(  # noqa: S310 - checked to be the portal's own origin
        url, method=method, headers={"Cookie": header, "User-Agent": user_agent}
    )
    try:
        response = opener.open(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise HttpFailure(exc.code) from exc
    headers = {k.lower(): v for k, v in response.headers.items()}
    return Fetched(url=response.geturl(), headers=headers, body=response)
