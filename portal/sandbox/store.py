"""The replica's own SQLite database (``<data_dir>/sandbox.sqlite3``): the only module using it.

Tables: ``accounts`` (hashed passwords, lockout counters), ``sessions`` (hashed tokens, CSRF
tokens, pending one-time codes), ``deposits`` (one row per uploaded file, its status and the
paths of its receipt and report) and ``passages`` (accepted passages, keyed by emitter BCR and
idTechnique, to detect duplicates across all deposits). Each call opens its own connection, so
request threads and the processing worker never share one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.sandbox.labels import Status
from portal.sandbox.rows import MIGRATIONS, Account, Deposit, Session, deposit_from_row

DB_NAME = "sandbox.sqlite3"


class Store:
    """Access to the replica's database."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        self._migrate()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success, rolled back on error)."""
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def _migrate(self) -> None:
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            done = row[0] or 0
            for number, migration in enumerate(MIGRATIONS, start=1):
                if number > done:
                    migration(db)
                    db.execute("INSERT INTO schema_version VALUES (?)", (number,))
        self.path.chmod(0o600)

    # Accounts -------------------------------------------------------------------------
    def get_account(self, username: str) -> Account | None:
        """The account named ``username``, or None."""
        with self.connect() as db:
            row = db.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
        return Account(**dict(row)) if row else None

    def set_password(self, username: str, password_hash: str) -> None:
        """Create the account or replace its password; clears any lockout."""
        with self.connect() as db:
            db.execute(
                "INSERT INTO accounts (username, password_hash) VALUES (?, ?) "
                "ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, "
                "failures = 0, locked_until = NULL",
                (username, password_hash),
            )

    def record_failure(self, username: str, attempts: int, lock_until: float) -> bool:
        """Count one failed attempt; lock the account when it reaches ``attempts``.

        Returns:
            True when this failure locked the account.
        """
        with self.connect() as db:
            db.execute(
                "UPDATE accounts SET failures = failures + 1 WHERE username = ?", (username,)
            )
            row = db.execute(
                "SELECT failures FROM accounts WHERE username = ?", (username,)
            ).fetchone()
            if row is None or row[0] < attempts:
                return False
            db.execute(
                "UPDATE accounts SET failures = 0, locked_until = ? WHERE username = ?",
                (lock_until, username),
            )
            return True

    def clear_failures(self, username: str) -> None:
        """Reset the failure counter and lock after a successful login."""
        with self.connect() as db:
            db.execute(
                "UPDATE accounts SET failures = 0, locked_until = NULL WHERE username = ?",
                (username,),
            )

    # Sessions -------------------------------------------------------------------------
    def create_session(self, token_hash: str, csrf: str, now: float) -> None:
        """Store a new anonymous session."""
        with self.connect() as db:
            db.execute(
                "INSERT INTO sessions (token_hash, csrf, created_at, last_seen) VALUES (?,?,?,?)",
                (token_hash, csrf, now, now),
            )

    def get_session(self, token_hash: str) -> Session | None:
        """The session with this token hash, or None."""
        with self.connect() as db:
            row = db.execute(
                "SELECT * FROM sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return Session(**dict(row)) if row else None

    def update_session(self, token_hash: str, **values: object) -> None:
        """Set columns of one session (names are fixed by the callers, never user input)."""
        allowed = set(Session.__dataclass_fields__) - {"token_hash"}
        if not values or set(values) - allowed:
            raise ValueError(f"bad session columns: {sorted(values)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.connect() as db:
            db.execute(
                f"UPDATE sessions SET {assignments} WHERE token_hash = ?",  # noqa: S608 - fixed names
                (*values.values(), token_hash),
            )

    def delete_session(self, token_hash: str) -> None:
        """Forget one session."""
        with self.connect() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def purge_sessions(self, older_than: float) -> None:
        """Forget sessions not seen since ``older_than``."""
        with self.connect() as db:
            db.execute("DELETE FROM sessions WHERE last_seen < ?", (older_than,))

    # Deposits -------------------------------------------------------------------------
    def add_deposit(
        self,
        *,
        username: str,
        file_name: str,
        stored_path: str,
        size: int,
        deposited_at: str,
        status: Status,
        receipt_ok: bool,
        id_flux: str | None,
        receipt_path: str,
    ) -> int:
        """Record an uploaded file; returns its id."""
        with self.connect() as db:
            cursor = db.execute(
                "INSERT INTO deposits (username, file_name, stored_path, size, deposited_at, "
                "status, receipt_ok, id_flux, receipt_path) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    username,
                    file_name,
                    stored_path,
                    size,
                    deposited_at,
                    status.name,
                    int(receipt_ok),
                    id_flux,
                    receipt_path,
                ),
            )
            return int(cursor.lastrowid or 0)

    def deposits(self, username: str | None = None) -> list[Deposit]:
        """Deposits, newest first (all users when ``username`` is None)."""
        query = "SELECT * FROM deposits"
        params: tuple[str, ...] = ()
        if username is not None:
            query += " WHERE username = ?"
            params = (username,)
        with self.connect() as db:
            rows = db.execute(query + " ORDER BY id DESC", params).fetchall()
        return [deposit_from_row(row) for row in rows]

    def get_deposit(self, deposit_id: int) -> Deposit | None:
        """One deposit by id, or None."""
        with self.connect() as db:
            row = db.execute("SELECT * FROM deposits WHERE id = ?", (deposit_id,)).fetchone()
        return deposit_from_row(row) if row else None

    def pending(self) -> list[Deposit]:
        """Deposits still being processed, oldest first."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT * FROM deposits WHERE status = ? ORDER BY id", (Status.PROCESSING.name,)
            ).fetchall()
        return [deposit_from_row(row) for row in rows]

    @staticmethod
    def has_passage(db: sqlite3.Connection, bcr: str, id_technique: str) -> bool:
        """Whether (emitter BCR, idTechnique) is stored, inside the caller's transaction."""
        row = db.execute(
            "SELECT 1 FROM passages WHERE emitter_bcr = ? AND id_technique = ?",
            (bcr, id_technique),
        ).fetchone()
        return row is not None

    @staticmethod
    def accept_passage(db: sqlite3.Connection, bcr: str, id_technique: str, deposit: int) -> bool:
        """Store an accepted passage inside the caller's transaction.

        Returns:
            False when (emitter BCR, idTechnique) was already stored: a duplicate.
        """
        cursor = db.execute(
            "INSERT OR IGNORE INTO passages VALUES (?, ?, ?)", (bcr, id_technique, deposit)
        )
        return cursor.rowcount == 1

    @staticmethod
    def remove_passage(db: sqlite3.Connection, bcr: str, id_technique: str) -> bool:
        """Delete a stored passage inside the caller's transaction; False when absent."""
        cursor = db.execute(
            "DELETE FROM passages WHERE emitter_bcr = ? AND id_technique = ?", (bcr, id_technique)
        )
        return cursor.rowcount == 1

    @staticmethod
    def mark_processed(
        db: sqlite3.Connection,
        deposit_id: int,
        *,
        status: Status,
        report_path: str,
        processed_at: str,
    ) -> None:
        """Record the outcome of a deposit inside the caller's transaction."""
        db.execute(
            "UPDATE deposits SET status = ?, report_path = ?, processed_at = ? WHERE id = ?",
            (status.name, report_path, processed_at, deposit_id),
        )

    def passage_count(self) -> int:
        """Number of accepted passages stored."""
        with self.connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM passages").fetchone()[0])
