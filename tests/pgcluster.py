"""A throwaway PostgreSQL cluster for the tests and the store benchmark.

``initdb`` + ``pg_ctl`` in a temporary folder, listening on a free port of 127.0.0.1 and on a
unix socket in that folder; stopped (``pg_ctl stop -m immediate``) and deleted by
:meth:`PgCluster.stop`. PostgreSQL refuses to run as root: when the tests run as root (CI, the
sessions here), the cluster runs as the ``postgres`` user (``runuser``) and owns its folder.

The server binaries come from Debian's ``postgresql`` package (``make install`` installs it;
``/usr/lib/postgresql/<major>/bin``), else from ``PATH``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg

#: The role the throwaway cluster's superuser is named after (trust authentication, local).
SUPERUSER = "accrochage"


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why and what to install."""


def server_bin(name: str) -> Path:
    """The newest installed server binary ``name`` (``initdb``, ``pg_ctl``).

    Raises:
        PgUnavailable: no PostgreSQL server is installed.
    """
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise PgUnavailable(
        f"{name} not found (neither /usr/lib/postgresql/*/bin nor PATH): run `make install`, "
        "which installs Debian's postgresql package"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgCluster:
    """One running throwaway cluster; :meth:`new_database` gives each test its own database."""

    def __init__(self, *, durable: bool = False) -> None:
        """Create and start the cluster.

        Args:
            durable: keep fsync and synchronous commits (the benchmark measures with them);
                the tests turn them off, a throwaway cluster needs no crash safety.

        Raises:
            PgUnavailable: initdb or pg_ctl failed (their output is in the message).
        """
        self.folder = Path(tempfile.mkdtemp(prefix="accrochage-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PgUnavailable("running as root and no `postgres` user to run as") from exc
            shutil.chown(self.folder, "postgres", "postgres")
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)
        self._pg_ctl = server_bin("pg_ctl")
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={self.port}",
            f"-c unix_socket_directories={self.folder}",
            "-c max_connections=200",
        ]
        if not durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._call(
            str(server_bin("initdb")),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        )
        log = self.folder / "server.log"
        self._call(
            str(self._pg_ctl), "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(log),
            "-o", " ".join(options),
        )  # fmt: skip

    def _call(self, *command: str) -> None:
        done = subprocess.run(
            [*self._run_as, *command], capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(
                f"{Path(command[0]).name} failed ({done.returncode}): "
                f"{done.stdout}{done.stderr}{tail}".strip()
            )

    def url(self, database: str = "postgres") -> str:
        """A libpq URL of ``database`` through the cluster's unix socket."""
        return (
            f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.folder))}&port={self.port}"
        )

    def new_database(self) -> str:
        """Create an empty database (from ``template0``); its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (immediately: nothing to keep) and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._call(str(self._pg_ctl), "stop", "-m", "immediate", "-D", str(self.data))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
