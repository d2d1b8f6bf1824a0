"""Rendered rows in blocks: how an import hands its rows to the build.

A :class:`Block` holds up to ``pipeline.BLOCK`` consecutive rows of one file. The skipped and
bad rows are listed one by one; the valid rows' passages are already grouped into one
:class:`~builders.flux.splitter.Run` per group (declaration + certification), so a block crosses a
pipe as a few large objects, and the build writes or spools each run in a few large writes
instead of handling every passage on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from builders.exports.results import RowError
from builders.flux.splitter import CertKey, FileKey, Fragment, Run

#: A rendered passage as plain tuples: file key, certification key, idTechnique, xml, the
#: holder key (``builders.exports.holders``) and the row's warnings.
Parts = tuple[
    tuple[str, str, str], tuple[str, str, str | None], str, bytes, int, tuple[RowError, ...]
]
#: One imported row: source, row number, errors (None: skipped), the passage (valid rows).
PartsRow = tuple[str, int, tuple[RowError, ...] | None, Parts | None]
#: One row in file order: as ``PartsRow`` with the passage as a ``Fragment``.
RenderedRow = tuple[str, int, tuple[RowError, ...] | None, Fragment | None]


@dataclass(frozen=True)
class Block:
    """Consecutive rows of one file.

    Attributes:
        source: the file.
        others: the skipped rows (errors None) and the bad rows with their errors, in order.
        rows: the valid rows' numbers, in order.
        groups: for each valid row, the index of its run in ``runs``.
        runs: one run per group, in order of first appearance, passages in row order.
        holders: for each valid row, its holder key (``builders.exports.holders``).
        warnings: the valid rows' warnings, in row order.
    """

    source: str
    others: list[tuple[int, tuple[RowError, ...] | None]]
    rows: list[int]
    groups: list[int]
    runs: list[Run]
    holders: list[int] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def ids(self) -> list[str]:
        """Each valid row's idTechnique, in row order."""
        if len(self.runs) == 1:
            return self.runs[0].ids
        taken = [0] * len(self.runs)
        found = []
        for group in self.groups:
            found.append(self.runs[group].ids[taken[group]])
            taken[group] += 1
        return found

    def without(self, positions: set[int]) -> list[Run]:
        """The runs without the valid rows at ``positions`` (indexes into ``rows``)."""
        kept: list[list[Fragment]] = [[] for _ in self.runs]
        fragments = [run.fragments() for run in self.runs]
        for position, group in enumerate(self.groups):
            fragment = next(fragments[group])
            if position not in positions:
                kept[group].append(fragment)
        return [Run.of(found) for found in kept if found]

    def rendered(self) -> list[RenderedRow]:
        """Every row of the block, in file order."""
        fragments = [run.fragments() for run in self.runs]
        found: list[RenderedRow] = [(self.source, n, errors, None) for n, errors in self.others]
        for number, group in zip(self.rows, self.groups, strict=True):
            found.append((self.source, number, (), next(fragments[group])))
        return sorted(found, key=lambda row: row[1])


#: The shared instance of each file key and certification key met so far.
Keys = tuple[dict[FileKey, FileKey], dict[CertKey, CertKey]]


def shared_keys(block: Block, keys: Keys) -> Block:
    """``block`` with equal keys replaced by one shared object (cheaper compares downstream)."""
    file_keys, cert_keys = keys
    runs = []
    for run in block.runs:
        file_key = file_keys.setdefault(run.file_key, run.file_key)
        cert_key = cert_keys.setdefault(run.cert_key, run.cert_key)
        if file_key is not run.file_key or cert_key is not run.cert_key:
            run = replace(run, file_key=file_key, cert_key=cert_key)  # noqa: PLW2901
        runs.append(run)
    return replace(block, runs=runs)


def to_blocks(rows: Iterable[PartsRow], size: int) -> Iterator[Block]:
    """``rows`` (of one file) in blocks of ``size`` rows."""
    builder: _Builder | None = None
    for source, number, errors, parts in rows:
        if builder is None:
            builder = _Builder(source)
        builder.add(number, errors, parts)
        if builder.count == size:
            yield builder.block()
            builder = None
    if builder is not None:
        yield builder.block()


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.count = 0
        self.others: list[tuple[int, tuple[RowError, ...] | None]] = []
        self.rows: list[int] = []
        self.groups: list[int] = []
        self.index: dict[tuple[tuple[str, str, str], tuple[str, str, str | None]], int] = {}
        self.parts: list[tuple[list[str], list[int], list[bytes]]] = []
        self.holders: list[int] = []
        self.warnings: list[RowError] = []

    def add(self, number: int, errors: tuple[RowError, ...] | None, parts: Parts | None) -> None:
        self.count += 1
        if parts is None:
            self.others.append((number, errors))
            return
        file_parts, cert_parts, id_technique, xml, holder, warnings = parts
        self.holders.append(holder)
        self.warnings += warnings
        key = (file_parts, cert_parts)
        group = self.index.get(key)
        if group is None:
            group = self.index[key] = len(self.parts)
            self.parts.append(([], [], []))
        ids, sizes, xmls = self.parts[group]
        ids.append(id_technique)
        sizes.append(len(xml))
        xmls.append(xml)
        self.rows.append(number)
        self.groups.append(group)

    def block(self) -> Block:
        runs = [
            Run(FileKey(*file_parts), CertKey(*cert_parts), ids, sizes, b"".join(xmls))
            for (file_parts, cert_parts), (ids, sizes, xmls) in zip(
                self.index, self.parts, strict=True
            )
        ]
        return Block(
            self.source, self.others, self.rows, self.groups, runs, self.holders, self.warnings
        )
