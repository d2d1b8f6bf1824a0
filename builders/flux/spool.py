r"""Disk spool for the stateless ``build``: groups passages and rejects reused idTechniques.

Rows arrive in file order; files must be grouped by declaration and certification. Each valid
record is rendered once; ``store_run`` appends a run of passages to its group's temporary files
(large buffered writes), so memory does not grow with the rows: the passages' XML back to
back in ``group-N.xml``, their idTechniques in ``group-N.ids`` and both lengths in
``group-N.idx``. ``runs()`` then streams the passages group by group (groups in first-seen
order, rows in input order) as :class:`Run`\ s of up to ``RUN`` passages whose XML is one
``bytes``: the writer copies a run to its file in a few large writes instead of one per passage.

``claim_rows`` checks that an idTechnique is unique per emitter. The (emitter, idTechnique) keys
are kept as 64-bit hashes in a compact table (``idtech.SeenIds``, 8 to 16 bytes a key) and the
claims are appended to a claims file with their source and rows, a slice of rows at a time (a
length-prefixed pickle of lists, our own temporary file). Only when the table says "seen"
(a reuse, or in theory a hash collision) is the claims file loaded, from where the previous
load stopped, into an indexed temporary SQLite table, which names the first row or clears a
collision. Files without reused ids never touch SQLite.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterator
from itertools import accumulate, chain, pairwise
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from builders.cdc.idtech import SeenIds
from builders.flux.splitter import CertKey, FileKey, Run

#: Groups with open files at most (least recently used is closed first), and buffer size.
_OPEN_GROUPS = 16
_BUFFER = 1 << 18
#: Passages per run read back by ``runs``.
RUN = 1024
_PASSAGE = struct.Struct("<II")  # idTechnique bytes, xml bytes
_SLICE = struct.Struct("<Q")  # pickled claims slice bytes
_SUFFIXES = (".idx", ".ids", ".xml")


_Handles = tuple[BinaryIO, BinaryIO, BinaryIO]  # .idx, .ids, .xml


class Spool:
    """A temporary on-disk store of rendered passages (use as a context manager)."""

    def __init__(self, parent: Path | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="accrochage-spool-", dir=parent))
        self._groups: dict[tuple[FileKey, CertKey], int] = {}
        self._file_ranks: dict[FileKey, int] = {}
        self._open: dict[int, _Handles] = {}  # group id -> files, least recently used first
        self._seen = SeenIds()
        self._sources: dict[str, int] = {}
        self._claims = (self._dir / "claims.bin").open("wb", buffering=_BUFFER)
        self._claims_loaded = 0
        self._db: sqlite3.Connection | None = None
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

    def _group_path(self, group_id: int, suffix: str) -> Path:
        return self._dir / f"group-{group_id}{suffix}"

    def _handles(self, file_key: FileKey, cert_key: CertKey) -> _Handles:
        key = (file_key, cert_key)
        group_id = self._groups.get(key)
        if group_id is None:
            self._file_ranks.setdefault(file_key, len(self._file_ranks))
            group_id = self._groups[key] = len(self._groups)
        handles = self._open.pop(group_id, None)
        if handles is None:
            if len(self._open) >= _OPEN_GROUPS:
                _close(self._open.pop(next(iter(self._open))))
            idx, ids, xml = (
                self._group_path(group_id, suffix).open("ab", buffering=_BUFFER)
                for suffix in _SUFFIXES
            )
            handles = (idx, ids, xml)
        self._open[group_id] = handles  # now the most recently used
        return handles

    def claim_rows(
        self, source: str, rows: list[int], emitters: list[str], ids: list[str]
    ) -> dict[int, str]:
        """Record the idTechniques of rows of ``source`` (in file order).

        Args:
            source: the file.
            rows: the rows' numbers.
            emitters: their idClientEmetteur.
            ids: their idTechniques.

        Returns:
            {position in ``rows``: error message} for the rows whose idTechnique an earlier
            row already used (unique per emitter); those are not recorded.
        """
        index = self._sources.setdefault(source, len(self._sources))
        refused: dict[int, str] = {}
        logged = 0
        add = self._seen.add
        for position, (emitter, id_technique) in enumerate(zip(emitters, ids, strict=True)):
            if add(emitter, id_technique):
                continue
            # The first claim may be an earlier row of this slice: log those first.
            self._log(index, rows, emitters, ids, logged, position, refused)
            logged = position
            first = self._first_claim(emitter, id_technique)
            if first is not None:
                name, row = first
                refused[position] = (
                    f"already used in {name} row {row} (an idTechnique is unique per emitter)"
                )
        self._log(index, rows, emitters, ids, logged, len(rows), refused)
        self.claimed += len(rows) - len(refused)
        return refused

    def _log(
        self,
        source: int,
        rows: list[int],
        emitters: list[str],
        ids: list[str],
        start: int,
        end: int,
        refused: dict[int, str],
    ) -> None:
        """Append the claims of rows ``start`` to ``end`` (not the refused ones) to the file."""
        if start >= end:
            return
        if refused:
            keep = [p for p in range(start, end) if p not in refused]
            rows = [rows[p] for p in keep]
            emitters = [emitters[p] for p in keep]
            ids = [ids[p] for p in keep]
            start, end = 0, len(keep)
        claims = (source, rows[start:end], emitters[start:end], ids[start:end])
        data = pickle.dumps(claims, protocol=pickle.HIGHEST_PROTOCOL)
        self._claims.write(_SLICE.pack(len(data)) + data)

    def _first_claim(self, emetteur: str, id_technique: str) -> tuple[str, int] | None:
        """The (source, row) that claimed the key first; None for a mere hash collision."""
        db = self._db
        if db is None:
            db = self._db = sqlite3.connect(self._dir / "claims.sqlite3", isolation_level=None)
            db.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                "CREATE TABLE ids (emetteur TEXT NOT NULL, id_technique TEXT NOT NULL,"
                " source INTEGER NOT NULL, row INTEGER NOT NULL,"
                " PRIMARY KEY (emetteur, id_technique)) WITHOUT ROWID;"
            )
        self._claims.flush()
        with (self._dir / "claims.bin").open("rb") as claims:
            claims.seek(self._claims_loaded)
            data = claims.read()
        self._claims_loaded += len(data)
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?, ?, ?)", _read_claims(data))
        db.execute("COMMIT")
        found = db.execute(
            "SELECT source, row FROM ids WHERE emetteur = ? AND id_technique = ?",
            (emetteur, id_technique),
        ).fetchone()
        if found is None:
            return None
        names = list(self._sources)
        return names[found[0]], int(found[1])

    def store_run(self, run: Run) -> None:
        """Keep claimed passages of one group for ``runs()``."""
        encoded = [id_technique.encode() for id_technique in run.ids]
        lengths = chain.from_iterable(zip(map(len, encoded), run.sizes, strict=True))
        idx, ids, xml = self._handles(run.file_key, run.cert_key)
        idx.write(struct.pack(f"<{2 * len(encoded)}I", *lengths))
        ids.write(b"".join(encoded))
        xml.write(run.xml)
        self.count += len(encoded)

    def runs(self, first: FileKey | None = None, size: int = RUN) -> Iterator[Run]:
        """Every stored passage, in runs of at most ``size``, grouped by file then
        certification, in input order.

        Args:
            first: a file key whose groups come first (the file the caller has open).
            size: passages per run at most.
        """
        while self._open:
            _close(self._open.popitem()[1])
        groups = sorted(
            self._groups.items(),
            key=lambda item: (item[0][0] != first, self._file_ranks[item[0][0]], item[1]),
        )
        for (file_key, cert_key), group_id in groups:
            paths = [self._group_path(group_id, suffix) for suffix in _SUFFIXES]
            with paths[0].open("rb") as idx, paths[1].open("rb") as ids, paths[2].open("rb") as xml:
                for id_sizes, xml_sizes in _index_runs(idx, size):
                    bounds = [0, *accumulate(id_sizes)]
                    id_data = ids.read(bounds[-1])
                    total = sum(xml_sizes)
                    data = xml.read(total)
                    if len(id_data) < bounds[-1] or len(data) < total:
                        raise OSError("the build spool is truncated")
                    run_ids = [id_data[a:b].decode() for a, b in pairwise(bounds)]
                    yield Run(file_key, cert_key, run_ids, xml_sizes, data)

    def close(self) -> None:
        """Delete the spool's files."""
        while self._open:
            _close(self._open.popitem()[1])
        self._claims.close()
        if self._db is not None:
            self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def _close(handles: _Handles) -> None:
    for handle in handles:
        handle.close()


def _index_runs(idx: BinaryIO, size: int) -> Iterator[tuple[list[int], list[int]]]:
    """(idTechnique lengths, XML lengths) of up to ``size`` passages at a time."""
    while block := idx.read(_PASSAGE.size * size):
        if len(block) % _PASSAGE.size:
            raise OSError("the build spool is truncated")
        lengths = array("I", block)  # "I" is 4 bytes wherever CPython runs on Linux
        if sys.byteorder == "big":
            lengths.byteswap()  # the index is little-endian ("<II")
        yield lengths[0::2].tolist(), lengths[1::2].tolist()


def _read_claims(data: bytes) -> Iterator[tuple[str, str, int, int]]:
    """(emitter, idTechnique, source index, row) of every claim in ``data`` (whole slices)."""
    offset = 0
    while offset < len(data):
        (size,) = _SLICE.unpack_from(data, offset)
        offset += _SLICE.size
        source, rows, emitters, ids = pickle.loads(data[offset : offset + size])  # noqa: S301 - our own temporary file
        offset += size
        for row, emitter, id_technique in zip(rows, emitters, ids, strict=True):
            yield emitter, id_technique, source, row
