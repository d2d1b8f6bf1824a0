"""The build step: pending passages in the store -> validated XML batches on disk.

Files are written by :func:`builders.flux.stored.write_stored_records` (records read back
from their JSON and rendered, by a process pool when they are many) straight into the batches
folder, validated against the imported XSD when there is one (the project's own rules were
applied at import), and recorded with their passages, every file of a build in one
transaction (a crash before it ends records none; the next build deletes the files). A file
the XSD rejects is recorded as an ``invalid`` batch (never uploaded) and its passages are
held until the cause is fixed (:func:`agent.collect.release_held`).

The build *fingerprint* names what decides whether a file is valid: the agent's version, the
target schema version and the imported XSD. A failed file whose fingerprint differs from the
current one has had its cause fixed.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from agent.collect import hold_batch
from agent.config import Config
from agent.lifecycle import BatchAction, BatchStatus, PassageStatus
from agent.store import StorePort
from builders.cdc.models import SuppressionRecord
from builders.cdc.schemas import get_schema
from builders.cdc.versions import suppression_version
from builders.files import ensure_private_dir, file_sha256
from builders.flux.splitter import BuiltFile
from builders.flux.stored import stored_record, write_stored_records
from builders.flux.suppression import suppression_of, write_suppression_files
from builders.flux.validate import FileFailure, FluxValidationError

if TYPE_CHECKING:
    from agent.context import RunContext

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
#: SUPPRESSION files exist only in a schema with cpf:action (1.1.5).
SUPPRESSION_SCHEMA = suppression_version()


def agent_version() -> str:
    """The installed accrochage-agent version ("dev" when not installed)."""
    try:
        return version("accrochage-agent")
    except PackageNotFoundError:
        return "dev"


def imported_xsd(config: Config) -> Path | None:
    """The XSD imported for the target schema version, if any."""
    return get_schema(config.agent.data_dir, config.build.schema_version)


def fingerprint(config: Config) -> str:
    """What decides a built file's validity: agent version, schema version, imported XSD."""
    xsd = imported_xsd(config)
    xsd_hash = hashlib.sha256(xsd.read_bytes()).hexdigest() if xsd else "built-in-rules-only"
    text = f"{agent_version()}|{config.build.schema_version}|{xsd_hash}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def remove_orphans(store: StorePort, folder: Path) -> int:
    """Delete files in the batches folder the store does not know (a crash mid-build).

    Such files were never recorded, so never uploaded; they hold personal data.
    """
    known = {Path(b.path).name for b in store.batches()}
    removed = 0
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_file() and path.name not in known:
            path.unlink()
            removed += 1
    if removed:
        log.info(
            "removed %d unrecorded file(s) left in %s by an interrupted build", removed, folder
        )
    return removed


def _unique_aside(store: StorePort, moved_to: Path) -> Path:
    """A name for a failed file that no earlier batch uses."""
    target, number = moved_to, 1
    while store.batch_by_name(target.name) is not None:
        number += 1
        target = moved_to.with_name(f"{moved_to.name}.{number}")
    if target != moved_to:
        moved_to.replace(target)
    return target


def build_pending(store: StorePort, run: RunContext) -> tuple[list[str], list[str]]:
    """Build every pending passage into batches and record them (under ``run.fingerprint``).

    Returns:
        (names of deposit-ready batches, names of batches that failed validation).
    """
    config, now, meter = run.config, run.now, run.meter
    out_dir = ensure_private_dir(run.paths.batches)
    remove_orphans(store, out_dir)
    files = _Files()

    def records() -> Iterator[bytes]:
        for passage_id, id_technique, record_json in store.iter_pending():
            files.expect(id_technique, passage_id)
            yield record_json

    def on_passage(file_name: str, id_technique: str) -> None:
        files.on_passage(file_name, id_technique)
        meter.advance("build")

    pending = store.passage_counts().get(PassageStatus.PENDING.value, 0)
    if pending:
        meter.start("build", pending, "passages")
    try:
        built = write_stored_records(
            records(),
            out_dir,
            count=pending,
            settings=config.build,
            schema_version=config.build.schema_version,
            now=now,
            on_passage=on_passage,
            xsd=imported_xsd(config),
        )
    except FluxValidationError as exc:
        files.failed(exc)
        built = exc.built
    finally:
        meter.finish("build")
    files.built = built
    return _record_files(
        store,
        files,
        config.build.schema_version,
        run.fingerprint,
        run.progress,
        BatchAction.CREATION,
    )


def build_suppressions(store: StorePort, run: RunContext) -> tuple[list[str], list[str]]:
    """Build the SUPPRESSION files of passages to withdraw at the CDC, and record them.

    Always schema 1.1.5 (SUPPRESSION does not exist in 1.1.2), validated against the imported
    1.1.5 XSD when there is one. Files are named ``<file_prefix>-suppression-...`` so that
    they never take the name of a CREATION file built in the same second, and are easy to
    recognise in the portal's history.

    Returns:
        (names of deposit-ready batches, names of batches that failed validation).
    """
    config, now = run.config, run.now
    out_dir = ensure_private_dir(run.paths.batches)
    files = _Files()

    def records() -> Iterator[SuppressionRecord]:
        for passage_id, id_technique, record_json in store.iter_withdrawing():
            files.expect(id_technique, passage_id)
            yield suppression_of(stored_record(record_json))

    settings = config.build.model_copy(
        update={"file_prefix": f"{config.build.file_prefix}-suppression"}
    )
    try:
        built = write_suppression_files(
            records(),
            out_dir,
            settings=settings,
            now=now,
            on_passage=files.on_passage,
            xsd=get_schema(config.agent.data_dir, SUPPRESSION_SCHEMA),
        )
    except FluxValidationError as exc:
        files.failed(exc)
        built = exc.built
    files.built = built
    return _record_files(
        store, files, SUPPRESSION_SCHEMA, run.fingerprint, run.progress, BatchAction.SUPPRESSION
    )


class _Files:
    """Which passage went into which file, as the writer reports it."""

    def __init__(self) -> None:
        self.ids: dict[str, deque[int]] = {}
        self.per_file: dict[str, list[int]] = {}
        self.built: list[BuiltFile] = []
        self.failures: list[FileFailure] = []

    def expect(self, id_technique: str, passage_id: int) -> None:
        self.ids.setdefault(id_technique, deque()).append(passage_id)

    def on_passage(self, file_name: str, id_technique: str) -> None:
        # Records come out in the order they went in, so the first unassigned id is it.
        waiting = self.ids[id_technique]
        self.per_file.setdefault(file_name, []).append(waiting.popleft())
        if not waiting:  # only the passages read but not written yet stay in memory
            del self.ids[id_technique]

    def failed(self, exc: FluxValidationError) -> None:
        self.failures = list(exc.failures)


def _record_files(
    store: StorePort,
    files: _Files,
    schema_version: str,
    fingerprint_value: str,
    progress: Progress,
    action: BatchAction,
) -> tuple[list[str], list[str]]:
    what = "SUPPRESSION of " if action is BatchAction.SUPPRESSION else ""
    # One transaction for every file of the build: one commit (and one WAL checkpoint) instead
    # of two per file; a crash before it ends leaves no batch recorded, and the next build
    # deletes the unrecorded files and builds their passages again (remove_orphans).
    with store.transaction():
        ready: list[str] = []
        for file in files.built:
            store.add_batch(
                name=file.name,
                path=str(file.path),
                sha256=file.sha256,
                size=file.size,
                schema_version=file.schema_version,
                id_flux=file.id_flux,
                fingerprint=fingerprint_value,
                passage_ids=files.per_file.get(file.name, []),
                action=action,
            )
            store.add_event(
                "built", f"{file.name}: {what}{file.passages} passage(s), {file.size} bytes"
            )
            progress(f"built {file.name} ({what}{file.passages} passages)")
            ready.append(file.name)
        invalid: list[str] = []
        for failure in files.failures:
            aside = _unique_aside(store, failure.moved_to)
            batch_id = store.add_batch(
                name=aside.name,  # "<name>.invalid[.N]": the deposit name stays free for a rebuild
                path=str(aside),
                sha256=file_sha256(aside),
                size=aside.stat().st_size,
                schema_version=schema_version,
                id_flux="",
                fingerprint=fingerprint_value,
                passage_ids=files.per_file.get(failure.name, []),
                action=action,
            )
            first = failure.errors[0] if failure.errors else None
            hold_batch(
                store,
                store.batch(batch_id),
                BatchStatus.INVALID,
                f"the built file fails the imported XSD ({len(failure.errors)} error(s); "
                f"first: {first})",
            )
            progress(f"NOT deposited: {failure.name} fails the imported XSD ({first})")
            invalid.append(failure.name)
        return ready, invalid
