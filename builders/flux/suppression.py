"""SUPPRESSION flux files (schema 1.1.5): delete passages the CDC already holds.

Each passage carries only ``idTechnique`` and the holder identification (the shape of the
official ``SUPPRESSION.xml``), grouped and split like CREATION files. ``suppression_of`` turns a
record that was deposited into the matching deletion request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from builders.cdc.models import PassageRecord, SuppressionRecord
from builders.cdc.versions import suppression_version
from builders.flux.splitter import BuiltFile, Clock, Fragment, IdFactory, PassageCallback
from builders.flux.writer import runs_of, suppression_fragment, utc_now, uuid4_str, write_runs
from builders.settings import BuildSettings


def suppression_of(record: PassageRecord) -> SuppressionRecord:
    """The SUPPRESSION request for a passage previously declared with ``record``."""
    return SuppressionRecord(
        declaration=record.declaration,
        certification=record.certification,
        idTechnique=record.passage.idTechnique,
        identificationTitulaire=record.passage.identificationTitulaire,
    )


def write_suppression_files(
    records: Iterable[SuppressionRecord],
    out_dir: Path,
    *,
    settings: BuildSettings,
    now: Clock = utc_now,
    new_id: IdFactory = uuid4_str,
    on_passage: PassageCallback | None = None,
    xsd: Path | None = None,
) -> list[BuiltFile]:
    """Write SUPPRESSION files (schema ``suppression_version()``) for ``records``, by group.

    Raises:
        FluxValidationError: some files failed ``xsd``.
    """

    def fragments() -> Iterator[Fragment]:
        for record in records:
            yield suppression_fragment(record)

    return write_runs(
        runs_of(fragments()),
        out_dir,
        settings=settings,
        schema_version=suppression_version(),
        action="SUPPRESSION",
        now=now,
        new_id=new_id,
        on_passage=on_passage,
        xsd=xsd,
    )
