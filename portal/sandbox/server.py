"""Running the replica: build it from settings, serve it with waitress, stop it cleanly.

``SandboxServer(settings).start()`` serves in a background thread (used by tests and by the
CLI, whose main thread only waits for Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import waitress
from waitress import wasyncore

from portal.sandbox.app import Sandbox, create_app
from portal.sandbox.auth import Auth
from portal.sandbox.certifications import Certifications
from portal.sandbox.control import find_xsd
from portal.sandbox.deposits import DepositService
from portal.sandbox.faults import FaultState
from portal.sandbox.files import private_dir, write_private
from portal.sandbox.labels import LOGIN_PATH
from portal.sandbox.processing import Processor, Worker
from portal.sandbox.registry import Registry
from portal.sandbox.settings import SandboxSettings
from portal.sandbox.store import Store

log = logging.getLogger(__name__)
ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105 - a file name, not a secret


class SandboxServer:
    """One running replica: app, processing worker and waitress server."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        data_dir = private_dir(settings.data_dir)
        self.store = Store(data_dir)
        Registry.load(data_dir)  # seed the editable files on first start
        Certifications.load(data_dir)
        self.faults = FaultState(settings.faults, settings.processing_delay_s)
        self.auth = Auth(
            self.store, settings, session_max_age=lambda: self.faults.faults.session_max_age_s
        )
        password = settings.password.get_secret_value() if settings.password else None
        self.generated_password = self.auth.ensure_account(settings.username, password)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        self.admin_token = token or secrets.token_urlsafe(24)
        write_private(data_dir / ADMIN_TOKEN_FILE, (self.admin_token + "\n").encode())
        processor = Processor(
            self.store, data_dir, lambda: find_xsd(settings.xsd, settings.agent_data_dir)
        )
        self.worker = Worker(self.store, processor, lambda: self.faults.processing_delay_s)
        deposits = DepositService(
            self.store, data_dir, max_bytes=settings.max_upload_bytes, on_new=self.worker.wake
        )
        box = Sandbox(settings, self.store, self.auth, self.faults, deposits, self.admin_token)
        self.app = create_app(box)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The port actually listened on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("sandbox server not started")
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8765``."""
        return f"http://{self.settings.host}:{self.port}"

    @property
    def login_url(self) -> str:
        return self.url + LOGIN_PATH

    def start(self) -> Self:
        """Listen and serve in a background thread; start the processing worker."""
        self._server = waitress.create_server(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            threads=self.settings.threads,
            max_request_body_size=self.settings.max_upload_bytes + 1024 * 1024,
            ident="prdc-sandbox",
            clear_untrusted_proxy_headers=True,
        )
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(self._server,), name="sandbox-http", daemon=True
        )
        self._thread.start()
        self.worker.start()
        log.info("sandbox listening on %s", self.url)
        return self

    def _serve(self, server: Any) -> None:
        """Waitress's loop, until :meth:`stop`; the sockets are closed here, by the loop.

        Closing them from another thread while this one waits in ``select`` on them fails
        with "Bad file descriptor" (Pylons/waitress#468).
        """
        try:
            while not self._stopping.is_set():
                wasyncore.loop(
                    timeout=server.adj.asyncore_loop_timeout,
                    map=server._map,
                    use_poll=server.adj.asyncore_use_poll,
                    count=1,
                )
        finally:
            wasyncore.close_all(server._map)  # the listening socket, connections, trigger

    def stop(self) -> None:
        """Stop serving and processing (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()
            server.pull_trigger()  # wakes the loop out of select
            if self._thread is not None:
                self._thread.join(10)
            server.task_dispatcher.shutdown()  # the request threads
        self.worker.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def data_dir_for(agent_data_dir: Path) -> Path:
    """The default data directory of the replica: ``<agent data_dir>/sandbox``."""
    return agent_data_dir / "sandbox"
