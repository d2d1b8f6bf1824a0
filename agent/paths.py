"""Where the agent keeps things under its data directory (all owner-only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.config import Config
from agent.store import DB_NAME, StoreError, sqlite_path


@dataclass(frozen=True)
class AgentPaths:
    """The data directory's layout."""

    data_dir: Path
    inbox: Path
    #: The SQLite store's file when ``[store] url`` names one elsewhere; None: the default.
    store_file: Path | None = None
    #: The ``[store] url`` scheme when it is not SQLite (then there is no store file).
    store_scheme: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> AgentPaths:
        """The layout for a loaded config.

        Raises:
            StoreError: ``[store] url`` is a malformed SQLite URL.
        """
        path = sqlite_path(config)
        scheme = None if path else (config.store.url or "").partition("://")[0]
        return cls(
            data_dir=config.agent.data_dir,
            inbox=config.agent.inbox,
            store_file=path,
            store_scheme=scheme,
        )

    @property
    def db(self) -> Path:
        """The SQLite store (``[store] url``, by default ``agent.sqlite3`` in the data dir).

        Raises:
            StoreError: the store is not a SQLite file.
        """
        if self.store_scheme is not None:
            raise StoreError(
                f"[store] url names a {self.store_scheme} store, not a SQLite file: "
                "open it with agent.store.open_store(config)"
            )
        return self.store_file or self.data_dir / DB_NAME

    @property
    def imported(self) -> Path:
        """Where imported exports are moved, with their error reports."""
        return self.inbox / "imported"

    @property
    def claims(self) -> Path:
        """Inbox files this agent claimed (renamed here) before reading them."""
        return self.data_dir / "inbox-claims"

    @property
    def batches(self) -> Path:
        """Built XML files, kept after deposit."""
        return self.data_dir / "batches"

    @property
    def staging(self) -> Path:
        """Files being built; anything left here after a crash was never recorded."""
        return self.data_dir / "staging"

    @property
    def documents(self) -> Path:
        """Receipts and reports, one folder per deposited file."""
        return self.data_dir / "documents"

    @property
    def evidence(self) -> Path:
        """Screenshots and traces of failed portal attempts."""
        return self.data_dir / "evidence"

    @property
    def portal_work(self) -> Path:
        """The portal client's working files (session state, downloads)."""
        return self.data_dir / "portal"
