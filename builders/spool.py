"""Disk spool for the stateless ``build``: groups passages and rejects reused idTechniques.

Rows arrive in file order; files must be grouped by declaration and certification. Each valid
record is rendered once and stored, as its XML fragment, in a temporary SQLite database on
disk whose ``ids`` table has a UNIQUE (idClientEmetteur, idTechnique) key, so a reused
idTechnique is caught whatever the number of rows and memory does not grow with them.
``fragments()`` then streams the passages group by group (groups in first-seen order, rows in
input order).
``claim`` alone checks an idTechnique without storing the fragment (the build writes its first
group straight to the output and spools only the others).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from builders.batching import CertKey, FileKey, Fragment

_SCHEMA = """
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    file_rank INTEGER NOT NULL,
    emetteur TEXT NOT NULL, certificateur TEXT NOT NULL, contrat TEXT NOT NULL,
    type TEXT NOT NULL, code TEXT NOT NULL, nature TEXT
);
CREATE TABLE ids (
    emetteur TEXT NOT NULL,
    id_technique TEXT NOT NULL,
    source TEXT NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (emetteur, id_technique)
) WITHOUT ROWID;
CREATE TABLE passages (
    seq INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    id_technique TEXT NOT NULL,
    xml BLOB NOT NULL
);
"""


class Spool:
    """A temporary on-disk store of rendered passages (use as a context manager)."""

    def __init__(self, parent: Path | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="accrochage-spool-", dir=parent))
        self._db = sqlite3.connect(self._dir / "spool.sqlite3", isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-8000;"
            "PRAGMA temp_store=FILE;" + _SCHEMA
        )
        self._db.execute("BEGIN")
        self._groups: dict[tuple[FileKey, CertKey], int] = {}
        self._file_ranks: dict[FileKey, int] = {}
        self.count = 0
        self.claimed = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _group(self, fragment: Fragment) -> int:
        key = (fragment.file_key, fragment.cert_key)
        found = self._groups.get(key)
        if found is not None:
            return found
        rank = self._file_ranks.setdefault(fragment.file_key, len(self._file_ranks))
        file_key, cert = key
        cursor = self._db.execute(
            "INSERT INTO groups (file_rank, emetteur, certificateur, contrat, type, code, nature)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rank,
                file_key.id_client_emetteur,
                file_key.id_client_certificateur,
                file_key.id_contrat,
                cert.type,
                cert.code,
                cert.nature_deposant,
            ),
        )
        group_id = int(cursor.lastrowid or 0)
        self._groups[key] = group_id
        return group_id

    def claim(self, fragment: Fragment, *, source: str, row: int) -> str | None:
        """Record the fragment's idTechnique; an error message if it was already used."""
        emetteur = fragment.file_key.id_client_emetteur
        cursor = self._db.execute(
            "INSERT INTO ids (emetteur, id_technique, source, row) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (emetteur, id_technique) DO NOTHING",
            (emetteur, fragment.id_technique, source, row),
        )
        if cursor.rowcount == 1:
            self.claimed += 1
            return None
        first = self._db.execute(
            "SELECT source, row FROM ids WHERE emetteur = ? AND id_technique = ?",
            (emetteur, fragment.id_technique),
        ).fetchone()
        return f"idTechnique already used in {first[0]} row {first[1]} (unique per emitter)"

    def store(self, fragment: Fragment) -> None:
        """Keep a claimed fragment for ``fragments()``."""
        self._db.execute(
            "INSERT INTO passages (group_id, id_technique, xml) VALUES (?, ?, ?)",
            (self._group(fragment), fragment.id_technique, fragment.xml),
        )
        self.count += 1

    def add(self, fragment: Fragment, *, source: str, row: int) -> str | None:
        """``claim`` then ``store``: an error message if the idTechnique was already used."""
        message = self.claim(fragment, source=source, row=row)
        if message is None:
            self.store(fragment)
        return message

    def fragments(self, first: FileKey | None = None) -> Iterator[Fragment]:
        """Every stored passage, grouped by file then certification, in input order.

        Args:
            first: a file key whose groups come first (the file the caller has open).
        """
        self._db.execute("COMMIT")
        self._db.execute("CREATE INDEX passages_by_group ON passages (group_id, seq)")
        groups = self._db.execute(
            "SELECT id, emetteur, certificateur, contrat, type, code, nature FROM groups"
            " ORDER BY file_rank, id"
        ).fetchall()
        groups.sort(key=lambda group: FileKey(*group[1:4]) != first)  # stable
        for group_id, emetteur, certificateur, contrat, type_, code, nature in groups:
            file_key = FileKey(emetteur, certificateur, contrat)
            cert_key = CertKey(type_, code, nature)
            rows = self._db.execute(
                "SELECT id_technique, xml FROM passages WHERE group_id = ? ORDER BY seq",
                (group_id,),
            )
            for id_technique, xml in rows:
                yield Fragment(file_key, cert_key, id_technique, xml)

    def close(self) -> None:
        """Delete the spool database."""
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)
