"""A real replica server for tests: ``running_sandbox(tmp_path, **settings)``.

Usage (from any test)::

    from tests.sandbox_server import running_sandbox

    def test_something(tmp_path):
        with running_sandbox(tmp_path, processing_delay_s=0) as sandbox:
            ...  # drive sandbox.url with Playwright or urllib
            sandbox.set_faults(error_rate=1.0)  # switch a fault on, over HTTP
            sandbox.set_faults(error_rate=0.0)
            sandbox.wait_for_status("lot.xml", "Traité avec succès")

It runs the REAL replica (``portal.sandbox.server.SandboxServer``: Flask app served by waitress
in a background thread on a free port of 127.0.0.1, plus the processing worker), so every
request is real HTTP. ``settings`` are :class:`portal.sandbox.settings.SandboxSettings` fields
(e.g. ``processing_delay_s=0``, ``otp_enabled=True``, ``max_upload_bytes=10_000``,
``xsd=Path(...)``, ``lockout_attempts=3``, ``session_idle_s=2``) plus ``faults={...}``
(:class:`FaultSettings` fields). Defaults here: data in ``tmp_path / "sandbox"``, user
``certificateur``, a generated password, ``processing_delay_s=0.2``. Pass ``password=None`` to
keep the account's existing password (restart tests; ``handle.password`` is then ``""``).

The handle:
- ``url``: base URL (``http://127.0.0.1:PORT``); ``login_url``: ``url + "/espace-prive"``;
- ``username``, ``password``, ``data_dir``, ``admin_token``;
- ``set_faults(**changes)``: POST to the admin endpoint; keys of ``FaultSettings`` plus
  ``processing_delay_s`` and ``maintenance_for_s`` (maintenance from now, N seconds), and
  ``labels={"DEPOSIT_TAB": "...", "PROCESSED": "..."}`` to rename page texts and statuses;
  returns the values in force;
- ``deposits()``: every deposit as the admin endpoint lists it (newest first);
- ``wait_for_status(file_name, *labels, timeout=30)``: poll until the newest deposit of that
  name shows one of ``labels`` (status texts as shown, or ``Status`` names such as
  ``"PROCESSED"``; default: any final status); returns that deposit;
- ``report_file(file_name)``: the replica's accusé de traitement for that file (tests alter
  it to play a hostile portal);
- ``stop()``: stop the server (also done when the ``with`` block ends). Starting again on the
  same ``tmp_path`` reuses the data (restart tests).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.sandbox.labels import Status
from portal.sandbox.server import SandboxServer
from portal.sandbox.settings import SandboxSettings

_GENERATE: Any = object()
FINAL = tuple(
    text
    for status in (Status.PROCESSED, Status.PROCESSED_WITH_ERRORS, Status.REJECTED)
    for text in (status.name, status.value)
)


@dataclass
class SandboxHandle:
    """A running replica, as seen by a test."""

    server: SandboxServer
    url: str
    username: str
    password: str
    data_dir: Path
    admin_token: str

    @property
    def login_url(self) -> str:
        return self.url + "/espace-prive"

    def _admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the local replica's URL
            self.url + "/_sandbox" + path,
            data=None if body is None else json.dumps(body, default=str).encode(),
            method="GET" if body is None else "POST",
            headers={
                "Authorization": f"Bearer {self.admin_token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return json.loads(response.read())

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change faults at runtime (real HTTP to the admin endpoint)."""
        result: dict[str, Any] = self._admin("/faults", changes)
        return result

    def faults(self) -> dict[str, Any]:
        """The faults in force."""
        result: dict[str, Any] = self._admin("/faults")
        return result

    def deposits(self) -> list[dict[str, Any]]:
        """Every deposit, newest first."""
        result: list[dict[str, Any]] = self._admin("/deposits")
        return result

    def wait_for_status(
        self, file_name: str, *labels: str, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Poll until the newest deposit named ``file_name`` has one of ``labels``."""
        wanted = labels or FINAL
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            last = next((d for d in self.deposits() if d["file_name"] == file_name), None)
            if last is not None and (last["status"] in wanted or last["state"] in wanted):
                return last
            time.sleep(0.05)
        raise AssertionError(f"{file_name}: status {last and last['status']!r}, not {wanted}")

    def report_file(self, file_name: str) -> Path:
        """The accusé de traitement the replica produced for ``file_name`` (to tamper with)."""
        needle = f"<nomFichier>{file_name}</nomFichier>".encode()
        for path in sorted((self.data_dir / "reports").glob("*")):
            if needle in path.read_bytes():
                return path
        raise AssertionError(f"the replica has no report for {file_name}")

    def stop(self) -> None:
        """Stop the server and its worker."""
        self.server.stop()


@contextmanager
def running_sandbox(tmp_path: Path, **settings: Any) -> Iterator[SandboxHandle]:
    """Run a real replica for the duration of the ``with`` block (see the module docstring)."""
    password = settings.pop("password", _GENERATE)
    values: dict[str, Any] = {
        "data_dir": tmp_path / "sandbox",
        "port": 0,
        "password": secrets.token_urlsafe(12) if password is _GENERATE else password,
        "admin_token": secrets.token_urlsafe(16),
        "processing_delay_s": 0.2,
    }
    values.update(settings)
    config = SandboxSettings.model_validate(values)
    server = SandboxServer(config).start()
    handle = SandboxHandle(
        server=server,
        url=server.url,
        username=config.username,
        password=config.password.get_secret_value() if config.password else "",
        data_dir=config.data_dir,
        admin_token=server.admin_token,
    )
    try:
        yield handle
    finally:
        server.stop()
