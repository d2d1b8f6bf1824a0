"""The status page served read-only on 127.0.0.1 by ``accrochage run`` (``[agent] status_port``).

Each GET of ``/`` reads the store afresh and renders the page; another path is 404, a POST
405 and other methods 501 (nothing can be changed through it). Only the loopback interface
listens: reach it from another machine through an SSH tunnel (``ssh -L
8766:127.0.0.1:8766 server``), never by opening the port.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.status_html import render_page
from agent.status_page import page_data
from agent.store import StoreError, open_store

log = logging.getLogger(__name__)


def status_html(config: Config, now: dt.datetime | None = None) -> str:
    """The status page for the store of ``config``, as of ``now`` (default: now)."""
    moment = now or dt.datetime.now(dt.UTC)
    with open_store(config) as store:
        return render_page(page_data(store, config, moment))


def write_status_page(config: Config, path: Path) -> int:
    """Write the page to ``path`` (owner-only, replaced atomically); returns its size."""
    data = status_html(config).encode("utf-8")
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)
    part.touch(mode=0o600)
    part.write_bytes(data)
    part.replace(path)
    return len(data)


class StatusServer:
    """A running status page server; ``close()`` stops it."""

    def __init__(self, config: Config, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] not in ("/", "/index.html"):
                    self.send_error(404)
                    return
                try:
                    body = status_html(config).encode("utf-8")
                except StoreError as exc:
                    log.warning("status page: %s", exc)
                    self.send_error(503, "the store cannot be read (see the agent log)")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header(
                    "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"
                )
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.send_error(405)

            def log_message(self, *_args: Any) -> None:  # the service log stays quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        log.info("status page on http://127.0.0.1:%s/", self.port)

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
