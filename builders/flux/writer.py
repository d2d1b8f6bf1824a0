"""Streaming writer: validated records to flux files the official XSD accepts.

Public API (also used by the agent, which keeps records in its own store)::

    write_flux_files(
        records,            # Iterable[PassageRecord], already ordered by group (see below)
        out_dir,            # folder; created 0700 if missing
        *,
        settings,           # BuildSettings: limits, file prefix, default schema version
        schema_version=None,  # a registered version (writes action CREATION if it has one)
        now=utc_now,        # clock returning an aware datetime -> horodatage, file names
        new_id=uuid4_str,   # idFlux factory
        on_passage=None,    # callback(file_name, idTechnique) as each passage is written
        xsd=None,           # imported XSD (``builders.cdc.schemas.get_schema``); None = no check
    ) -> list[BuiltFile]    # BuiltFile(path, name, id_flux, schema_version, passages, size, sha256)

Ordering: records should come grouped by declaration (idClientEmetteur, idClientCertificateur,
idContrat) then by certification (type, code, natureDeposant). Each change of declaration starts
a new file (the XSD allows one certificateur per file); each change of certification starts a
new ``certification`` element. Unordered input still yields valid files, only more of them.

Files are written owner-only under a temporary dot-name, validated against ``xsd`` (run by run,
memory flat; in large builds by two background processes while the writing goes on, see
``builders.flux.workers``) and only then renamed to their final name. A file failing the XSD is
moved aside as ``<name>.invalid`` and ``FluxValidationError`` (a ``BuildError``) is raised
after all files were processed; its ``built`` attribute lists the files that passed.
``on_passage`` is called while writing, before validation: the file names it reports are final
only once this function returns normally.

Memory stays flat: each passage is rendered to a small bytes fragment and written at once.
``write_runs`` is the same writer for already-rendered fragments, and ``FluxWriter`` its
incremental form (the build writes its first group while still importing).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from builders.cdc.models import PassageRecord, SuppressionRecord
from builders.cdc.render import render_passage, render_suppression
from builders.cdc.versions import SchemaVersion, spec
from builders.flux.splitter import (
    BuiltFile,
    CertKey,
    Clock,
    FileKey,
    Fragment,
    IdFactory,
    Limits,
    PassageCallback,
    PendingFile,
    Run,
    SplittingWriter,
)
from builders.flux.validate import FluxValidationError
from builders.flux.workers import FileValidator
from builders.settings import BuildSettings

logger = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    """The default clock."""
    return dt.datetime.now(dt.UTC)


def uuid4_str() -> str:
    """The default idFlux factory: a random UUID."""
    return str(uuid.uuid4())


def keys_of(record: PassageRecord | SuppressionRecord) -> tuple[FileKey, CertKey]:
    """The file and certification a record belongs to."""
    declaration, certification = record.declaration, record.certification
    nature = certification.natureDeposant
    return (
        FileKey(
            declaration.idClientEmetteur,
            declaration.idClientCertificateur,
            declaration.idContrat,
        ),
        CertKey(certification.type, certification.code, nature.value if nature else None),
    )


def fragment_for(record: PassageRecord, schema_version: SchemaVersion) -> Fragment:
    """Render one CREATION record.

    Raises:
        ValueError: the record cannot be written in ``schema_version``.
    """
    file_key, cert_key = keys_of(record)
    xml = render_passage(record.passage, schema_version)
    return Fragment(file_key, cert_key, record.passage.idTechnique, xml)


def suppression_fragment(record: SuppressionRecord) -> Fragment:
    """Render one SUPPRESSION record (schema 1.1.5)."""
    file_key, cert_key = keys_of(record)
    xml = render_suppression(record.idTechnique, record.identificationTitulaire)
    return Fragment(file_key, cert_key, record.idTechnique, xml)


class FluxWriter:
    """Incremental form of ``write_runs``: ``add_run`` runs of passages, then ``finish`` or
    ``abort``.

    Finished files are handed to the validator at once (large ones are validated in a background
    process while later fragments are still being added).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        settings: BuildSettings,
        schema_version: SchemaVersion,
        action: str | None,
        now: Clock = utc_now,
        new_id: IdFactory = uuid4_str,
        on_passage: PassageCallback | None = None,
        xsd: Path | None = None,
    ) -> None:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._validator = FileValidator(xsd)
        self._parts: list[Path] = []
        self._writer = SplittingWriter(
            out_dir,
            prefix=settings.file_prefix,
            schema_version=schema_version,
            action=action,
            limits=Limits(settings.max_passages_per_file, settings.max_file_bytes),
            now=now,
            new_id=new_id,
            on_passage=on_passage,
            on_file=self._on_file,
            on_chunk=self._validator.chunk_ready,
        )

    def _on_file(self, file: PendingFile) -> None:
        self._parts.append(file.temp_path)
        self._validator.submit(file)

    def add_run(self, run: Run) -> None:
        """Write consecutive passages of one group (see ``SplittingWriter.add_run``)."""
        self._writer.add_run(run)

    def finish(self) -> list[BuiltFile]:
        """Close the last file, wait for validation, publish the valid files.

        Raises:
            FluxValidationError: some files failed the XSD (moved aside; others published).
        """
        try:
            self._writer.close()
        except BaseException:
            self.abort()
            raise
        built, failures = self._validator.finish()
        if failures:
            raise FluxValidationError(failures, built)
        return built

    def abort(self) -> None:
        """Stop everything and delete every unpublished file."""
        self._validator.abort()
        self._writer.discard()
        for part in self._parts:
            part.unlink(missing_ok=True)


def write_runs(
    runs: Iterable[Run],
    out_dir: Path,
    *,
    settings: BuildSettings,
    schema_version: SchemaVersion,
    action: str | None,
    now: Clock = utc_now,
    new_id: IdFactory = uuid4_str,
    on_passage: PassageCallback | None = None,
    xsd: Path | None = None,
) -> list[BuiltFile]:
    """Write rendered fragments, in runs (``runs_of``), into validated flux files; see the
    module docstring (an error while ``runs`` are produced publishes nothing, as a writing
    error does).

    Raises:
        FluxValidationError: some files failed ``xsd`` (moved aside; others are published).
        BuildError: a single passage is larger than ``max_file_bytes``.
    """
    writer = FluxWriter(
        out_dir,
        settings=settings,
        schema_version=schema_version,
        action=action,
        now=now,
        new_id=new_id,
        on_passage=on_passage,
        xsd=xsd,
    )
    try:
        for run in runs:
            writer.add_run(run)
    except BaseException:
        writer.abort()
        raise
    return writer.finish()


def runs_of(fragments: Iterable[Fragment], size: int = 1024) -> Iterator[Run]:
    """Consecutive fragments of one group, in runs of at most ``size`` (fewer, larger writes)."""
    run: list[Fragment] = []
    for fragment in fragments:
        if run and (
            len(run) >= size
            or fragment.file_key != run[0].file_key
            or fragment.cert_key != run[0].cert_key
        ):
            yield Run.of(run)
            run = []
        run.append(fragment)
    if run:
        yield Run.of(run)


def creation_action(version: SchemaVersion) -> str | None:
    """The ``cpf:action`` of a CREATION file in ``version`` (None: the version has none)."""
    return "CREATION" if spec(version).has_action else None


def write_flux_files(
    records: Iterable[PassageRecord],
    out_dir: Path,
    *,
    settings: BuildSettings,
    schema_version: SchemaVersion | None = None,
    now: Clock = utc_now,
    new_id: IdFactory = uuid4_str,
    on_passage: PassageCallback | None = None,
    xsd: Path | None = None,
) -> list[BuiltFile]:
    """CREATION flux files for ``records``; see the module docstring.

    Raises:
        ValueError: a record cannot be written in the schema version (identifiantNational
            under 1.1.2); nothing is published in that case.
        FluxValidationError: some files failed ``xsd``.
    """
    version: SchemaVersion = schema_version or settings.schema_version
    action = creation_action(version)

    def fragments() -> Iterator[Fragment]:
        for record in records:
            yield fragment_for(record, version)

    return write_runs(
        runs_of(fragments()),
        out_dir,
        settings=settings,
        schema_version=version,
        action=action,
        now=now,
        new_id=new_id,
        on_passage=on_passage,
        xsd=xsd,
    )
