"""Split a stream of rendered passages into flux files: one certificateur per file.

A new file starts when the declaration (emitter, certifier, contract) changes, when the file
holds ``max_passages_per_file`` passages, or when the next passage would push the file past
``max_file_bytes`` (the size is checked *before* writing, counting the closing tags). Files are
written owner-only (0600) under a temporary dot-name and only renamed to their final name by
``PendingFile.publish`` once the caller has validated them.

File names are ASCII without spaces:
``<prefix>-<idClientCertificateur>-<YYYYMMDD-HHMMSS>-<NNN>.xml``
(Europe/Paris time of the file's ``horodatage``; NNN counts files within one build and
skips names already present in the output folder).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from builders.cdc.markup import (
    CERTIFICATION_CLOSE,
    FILE_TAIL,
    render_certification_open,
    render_head,
)
from builders.cdc.versions import SchemaVersion
from builders.errors import BuildError
from builders.flux.layout import Chunk, Layout, LayoutRecorder

PARIS = ZoneInfo("Europe/Paris")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_BUFFER = 1 << 20
_CLOSING = len(CERTIFICATION_CLOSE) + len(FILE_TAIL)

Clock = Callable[[], dt.datetime]
IdFactory = Callable[[], str]
PassageCallback = Callable[[str, str], None]
#: (temporary path, header end, header lines, run) when a run of passages is on disk.
ChunkCallback = Callable[[Path, int, int, Chunk], None]


@dataclass(frozen=True)
class FileKey:
    """What must be identical for passages to share a file (the XSD allows one certificateur)."""

    id_client_emetteur: str
    id_client_certificateur: str
    id_contrat: str


@dataclass(frozen=True)
class CertKey:
    """One ``certification`` element inside a file."""

    type: str
    code: str
    nature_deposant: str | None


@dataclass(frozen=True)
class Fragment:
    """One rendered ``passageCertification`` and where it belongs."""

    file_key: FileKey
    cert_key: CertKey
    id_technique: str
    xml: bytes


@dataclass(frozen=True)
class Run:
    """Consecutive passages of one group: their ids, their XML lengths, their XML back to back."""

    file_key: FileKey
    cert_key: CertKey
    ids: list[str]
    sizes: list[int]
    xml: bytes

    @classmethod
    def of(cls, fragments: Sequence[Fragment]) -> Run:
        """The run of consecutive ``fragments`` of one group (the first one's keys)."""
        first = fragments[0]
        return cls(
            first.file_key,
            first.cert_key,
            [fragment.id_technique for fragment in fragments],
            [len(fragment.xml) for fragment in fragments],
            b"".join(fragment.xml for fragment in fragments),
        )

    def fragments(self) -> Iterator[Fragment]:
        """The run's passages one by one."""
        end = 0
        for id_technique, size in zip(self.ids, self.sizes, strict=True):
            start, end = end, end + size
            yield Fragment(self.file_key, self.cert_key, id_technique, self.xml[start:end])


@dataclass(frozen=True)
class BuiltFile:
    """A complete flux file on disk."""

    path: Path
    name: str
    id_flux: str
    schema_version: SchemaVersion
    passages: int
    size: int
    sha256: str


@dataclass(frozen=True)
class Limits:
    """When to start a new file."""

    max_passages: int
    max_bytes: int


def horodatage(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS+01:00`` (or +02:00): Europe/Paris, numeric offset, no millis.

    Raises:
        ValueError: ``moment`` is naive (no time zone).
    """
    if moment.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    return moment.astimezone(PARIS).replace(microsecond=0).isoformat()


def safe_name_part(text: str) -> str:
    """``text`` reduced to ASCII letters, digits, ``_`` and ``-`` (others become ``_``)."""
    return _UNSAFE.sub("_", text) or "x"


def _open_private(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb", buffering=_BUFFER)


@dataclass
class PendingFile:
    """A finished file under its temporary name, waiting for validation."""

    temp_path: Path
    built: BuiltFile
    layout: Layout | None = None  # where the passages are, for chunked validation

    def publish(self) -> BuiltFile:
        """Rename to the final, deposit-ready name (atomic within the folder)."""
        self.temp_path.replace(self.built.path)
        return self.built

    def reject(self) -> Path:
        """Move the file aside (``<name>.invalid``) so it is never taken as deposit-ready."""
        aside = self.built.path.with_name(self.built.name + ".invalid")
        self.temp_path.replace(aside)
        return aside


class _OpenFile:
    """The file being written: counts bytes and passages, hashes as it goes."""

    def __init__(
        self, path: Path, temp_path: Path, head: bytes, on_chunk: ChunkCallback | None
    ) -> None:
        self.path = path
        self.temp_path = temp_path
        self.handle = _open_private(temp_path)
        self.digest = hashlib.sha256()
        self.size = 0
        self.lines = 0
        self.passages = 0
        self.cert: CertKey | None = None
        self.write(head)
        self._on_chunk = on_chunk
        self.layout = LayoutRecorder(self.size, self.lines, on_chunk=self._chunk_done)

    def _chunk_done(self, chunk: Chunk) -> None:
        if self._on_chunk is not None:
            self.handle.flush()  # the run's bytes must be readable by a validator now
            self._on_chunk(self.temp_path, self.layout.head_end, self.layout.head_lines, chunk)

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)
        self.lines += data.count(b"\n")


class SplittingWriter:
    """Writes fragments (already ordered by file key, then certification) into flux files."""

    def __init__(
        self,
        out_dir: Path,
        *,
        prefix: str,
        schema_version: SchemaVersion,
        action: str | None,
        limits: Limits,
        now: Clock,
        new_id: IdFactory,
        on_passage: PassageCallback | None = None,
        on_file: Callable[[PendingFile], None],
        on_chunk: ChunkCallback | None = None,
    ) -> None:
        self._on_chunk = on_chunk
        self._out = out_dir
        self._prefix = safe_name_part(prefix)
        self._version: SchemaVersion = schema_version
        self._action = action
        self._limits = limits
        self._now = now
        self._new_id = new_id
        self._on_passage = on_passage
        self._on_file = on_file
        self._sequence = 0
        self._file: _OpenFile | None = None
        self._file_key: FileKey | None = None
        self._id_flux = ""

    def add(self, fragment: Fragment) -> None:
        """Append one passage, starting a new file first when a limit or the key requires it."""
        self.add_run(Run.of([fragment]))

    def add_run(self, run: Run) -> None:
        """Append consecutive passages of one group, as ``add`` would one by one, in a few
        large writes.

        Raises:
            BuildError: a passage cannot fit in a file of ``max_bytes``.
        """
        file_key, cert_key, ids, sizes, xml = (
            run.file_key,
            run.cert_key,
            run.ids,
            run.sizes,
            run.xml,
        )
        first, start = 0, 0
        while first < len(sizes):
            current = self._file
            if (
                current is None
                or (file_key is not self._file_key and file_key != self._file_key)
                or current.passages >= self._limits.max_passages
                or not self._fits(current, cert_key, sizes[first])
            ):
                current = self._start(file_key)
                if not self._fits(current, cert_key, sizes[first]):
                    raise BuildError(
                        f"passage {ids[first]!r} ({sizes[first]} bytes) cannot fit "
                        f"in a file of at most {self._limits.max_bytes} bytes"
                    )
            self._certification(current, cert_key)
            # The passages that fit in this file: by count, then by bytes (the first one does).
            room = min(len(sizes) - first, self._limits.max_passages - current.passages)
            ends = list(accumulate(sizes[first : first + room]))
            fit = bisect_right(ends, self._limits.max_bytes - _CLOSING - current.size)
            if fit == 0:  # cannot happen: _fits said the first one fits
                raise RuntimeError("splitting writer: no room for a passage that fits")
            done = 0
            while done < fit:
                taken = current.layout.passages(current.size, current.lines + 1, fit - done)
                low = start + (ends[done - 1] if done else 0)
                high = start + ends[done + taken - 1]
                current.write(xml if high - low == len(xml) else xml[low:high])
                done += taken
            current.passages += fit
            if self._on_passage is not None:
                for id_technique in ids[first : first + fit]:
                    self._on_passage(current.path.name, id_technique)
            first += fit
            start += ends[fit - 1]

    def _certification(self, current: _OpenFile, key: CertKey) -> None:
        """Open ``key``'s certification element unless it is the open one."""
        if current.cert is key or current.cert == key:
            return
        if current.cert is not None:
            current.layout.end(current.size)
            current.write(CERTIFICATION_CLOSE)
        start, line = current.size, current.lines + 1
        current.write(render_certification_open(key.type, key.code, key.nature_deposant))
        current.layout.certification(start, current.size, line)
        current.cert = key

    def close(self) -> None:
        """Finish the last file."""
        self._finish()

    def discard(self) -> None:
        """Abandon the file being written (after an error): close and delete it."""
        current, self._file = self._file, None
        if current is not None:
            current.handle.close()
            current.temp_path.unlink(missing_ok=True)

    def _fits(self, current: _OpenFile, key: CertKey, size: int) -> bool:
        """Whether a passage of ``size`` bytes of certification ``key`` fits in ``current``."""
        needed = size + _CLOSING
        if current.cert is not key and current.cert != key:
            needed += len(render_certification_open(key.type, key.code, key.nature_deposant))
            if current.cert is not None:
                needed += len(CERTIFICATION_CLOSE)
        return current.size + needed <= self._limits.max_bytes

    def _next_path(self, moment: dt.datetime, key: FileKey) -> Path:
        stamp = moment.astimezone(PARIS).strftime("%Y%m%d-%H%M%S")
        certifier = safe_name_part(key.id_client_certificateur)
        while True:
            self._sequence += 1
            name = f"{self._prefix}-{certifier}-{stamp}-{self._sequence:03d}.xml"
            path = self._out / name
            if not path.exists() and not path.with_name(f".{name}.part").exists():
                return path

    def _start(self, key: FileKey) -> _OpenFile:
        self._finish()
        moment = self._now()
        stamp = horodatage(moment)
        path = self._next_path(moment, key)
        self._id_flux = self._new_id()
        head = render_head(
            id_flux=self._id_flux,
            horodatage=stamp,
            action=self._action,
            id_client_emetteur=key.id_client_emetteur,
            id_client_certificateur=key.id_client_certificateur,
            id_contrat=key.id_contrat,
        )
        self._file = _OpenFile(path, path.with_name(f".{path.name}.part"), head, self._on_chunk)
        self._file_key = key
        return self._file

    def _finish(self) -> None:
        current = self._file
        if current is None:
            return
        self._file = None
        current.layout.end(current.size)
        current.write(CERTIFICATION_CLOSE)
        current.write(FILE_TAIL)
        current.handle.flush()
        os.fsync(current.handle.fileno())
        current.handle.close()
        built = BuiltFile(
            path=current.path,
            name=current.path.name,
            id_flux=self._id_flux,
            schema_version=self._version,
            passages=current.passages,
            size=current.size,
            sha256=current.digest.hexdigest(),
        )
        layout = current.layout.layout()
        self._on_file(PendingFile(temp_path=current.temp_path, built=built, layout=layout))
