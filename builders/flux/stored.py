"""Records kept as JSON (the agent's store) to validated flux files, rendered by a process pool
when there are many.

``write_stored_records`` is ``builders.flux.writer.write_flux_files`` for records an import
validated and stored as ``PassageRecord`` JSON: each is read back (``model_validate_json``:
the models' rules run again, the characters XML forbids were refused at import) and rendered.
That is most of the work of building many passages, so from ``POOL_RECORDS`` records on a
machine with more than one CPU it is shared by a pool of processes (``builders.flux.parallel``):
this process reads the records and hands chunks of them to the pool, a bounded window at a time
(memory stays flat), and writes the rendered runs that come back, in the records' order, while
the validation pool checks the files being written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from builders.cdc.models import XML_CHARS_CHECKED, PassageRecord
from builders.cdc.versions import SchemaVersion
from builders.flux.parallel import in_order, pool_size
from builders.flux.splitter import BuiltFile, Clock, IdFactory, PassageCallback, Run
from builders.flux.writer import (
    creation_action,
    fragment_for,
    runs_of,
    utc_now,
    uuid4_str,
    write_runs,
)
from builders.settings import BuildSettings

#: From this many records on, a pool renders them.
POOL_RECORDS: Final = 5000
#: Records per task of the pool.
CHUNK: Final = 200
#: Validation context of stored records (their characters were checked at import).
_STORED: Final = {XML_CHARS_CHECKED: True}
#: Separates the records of a chunk sent to the pool (JSON escapes every control character).
_SEPARATOR: Final = b"\x1e"


def stored_record(record_json: str | bytes) -> PassageRecord:
    """A record an import validated and stored, read back (its rules checked again)."""
    return PassageRecord.model_validate_json(record_json, context=_STORED)


def write_stored_records(
    records: Iterable[bytes],
    out_dir: Path,
    *,
    count: int,
    settings: BuildSettings,
    schema_version: SchemaVersion,
    now: Clock = utc_now,
    new_id: IdFactory = uuid4_str,
    on_passage: PassageCallback | None = None,
    xsd: Path | None = None,
) -> list[BuiltFile]:
    """CREATION flux files for stored ``records`` (``count`` of them); see the module
    docstring and ``write_flux_files``, whose rules (order, validation, errors) apply.

    Raises:
        ValueError: a record cannot be written in the schema version; nothing is published.
        FluxValidationError: some files failed ``xsd``.
    """
    workers = pool_size(count >= POOL_RECORDS)
    runs: Iterable[Run]
    if workers:
        runs = _pooled(records, schema_version, workers)
    else:
        runs = _rendered(records, schema_version)
    return write_runs(
        runs,
        out_dir,
        settings=settings,
        schema_version=schema_version,
        action=creation_action(schema_version),
        now=now,
        new_id=new_id,
        on_passage=on_passage,
        xsd=xsd,
    )


def _pooled(records: Iterable[bytes], version: SchemaVersion, workers: int) -> Iterator[Run]:
    """The runs of ``records`` rendered by a pool, in order, a bounded window at a time."""
    chunks = _chunks(records)
    for runs in in_order(render_stored, chunks, workers=workers, what="build", first=(version,)):
        yield from runs


def _chunks(records: Iterable[bytes]) -> Iterator[bytes | list[bytes]]:
    """Chunks of ``CHUNK`` records, each one joined string (cheap to send) when possible."""
    chunk: list[bytes] = []
    for text in records:
        chunk.append(text)
        if len(chunk) == CHUNK:
            yield _joined(chunk)
            chunk = []
    if chunk:
        yield _joined(chunk)


def _joined(chunk: list[bytes]) -> bytes | list[bytes]:
    joined = _SEPARATOR.join(chunk)
    return chunk if joined.count(_SEPARATOR) != len(chunk) - 1 else joined


def render_stored(version: SchemaVersion, chunk: bytes | list[bytes]) -> list[Run]:
    """One task of the build pool: the chunk's records read back and rendered, as runs."""
    texts = chunk.split(_SEPARATOR) if isinstance(chunk, bytes) else chunk
    return list(_rendered(texts, version))


def _rendered(records: Iterable[bytes], version: SchemaVersion) -> Iterator[Run]:
    """``records`` read back and rendered, in runs."""
    return runs_of(fragment_for(stored_record(text), version) for text in records)
