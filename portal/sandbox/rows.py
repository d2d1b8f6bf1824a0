"""The replica's database schema (numbered migrations) and the rows it returns."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from portal.sandbox.labels import Status


def _m1(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE accounts (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until REAL
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            csrf TEXT NOT NULL,
            username TEXT,
            pending_username TEXT,
            otp_hash TEXT,
            otp_expires REAL,
            created_at REAL NOT NULL,
            authenticated_at REAL,
            last_seen REAL NOT NULL
        );
        CREATE TABLE deposits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL,
            file_name TEXT NOT NULL,
            stored_path TEXT NOT NULL,
            size INTEGER NOT NULL,
            deposited_at TEXT NOT NULL,
            status TEXT NOT NULL,
            receipt_ok INTEGER NOT NULL,
            id_flux TEXT,
            receipt_path TEXT NOT NULL,
            report_path TEXT,
            processed_at TEXT
        );
        CREATE TABLE passages (
            emitter_bcr TEXT NOT NULL,
            id_technique TEXT NOT NULL,
            deposit_id INTEGER NOT NULL,
            PRIMARY KEY (emitter_bcr, id_technique)
        );
        """
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_m1,)


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str
    failures: int
    locked_until: float | None


@dataclass(frozen=True)
class Session:
    token_hash: str
    csrf: str
    username: str | None
    pending_username: str | None
    otp_hash: str | None
    otp_expires: float | None
    created_at: float
    authenticated_at: float | None
    last_seen: float


@dataclass(frozen=True)
class Deposit:
    id: int
    username: str
    file_name: str
    stored_path: str
    size: int
    deposited_at: str  # ISO 8601, UTC
    status: Status
    receipt_ok: bool
    id_flux: str | None
    receipt_path: str
    report_path: str | None
    processed_at: str | None

    @property
    def id_traitement(self) -> int:
        """The replica's idTraitement (same order of magnitude as the real ones)."""
        return 70000 + self.id


def deposit_from_row(row: sqlite3.Row) -> Deposit:
    values = dict(row)
    values["status"] = Status[values["status"]]
    values["receipt_ok"] = bool(values["receipt_ok"])
    return Deposit(**values)
