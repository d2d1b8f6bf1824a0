"""A local HTTP receiver for notifications and pings: a real server on 127.0.0.1.

Apprise's ``json://127.0.0.1:PORT/path`` POSTs ``{"version", "title", "message", "type"}``
to it; monitoring pings POST plain text. ``down = True`` answers 503 to everything (a
destination that is down); what it answered 503 to is not recorded as received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request the receiver accepted."""

    path: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The running receiver: its URL parts and what it received."""

    port: int
    received: list[Received] = field(default_factory=list)
    down: bool = False

    @property
    def json_url(self) -> str:
        """An Apprise URL posting JSON here."""
        return f"json://127.0.0.1:{self.port}/notify"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages(self) -> list[dict[str, Any]]:
        """The JSON notifications received, in order."""
        return [r.json() for r in self.received if r.path.startswith("/notify")]

    def kinds(self) -> list[str]:
        """The notification kind of each message (from its '[accrochage KIND #id]' footer)."""
        out = []
        for message in self.messages():
            footer = message["message"].rsplit("[accrochage ", 1)[-1]
            out.append(footer.split(" ", 1)[0])
        return out


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """Start a receiver on a free port of 127.0.0.1; stop it on exit."""
    state = Receiver(port=0)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                if state.down:
                    self.send_response(503)
                else:
                    state.received.append(Received(self.path, body))
                    self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:  # quiet: no request log on stderr
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
