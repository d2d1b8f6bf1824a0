"""CSV files the project hands to people (rejects, import error reports): made for Excel.

UTF-8 with a BOM (so Excel shows accents right), ``;`` between cells (what Excel expects in a
French locale), ``\\r\\n`` line ends, dates written ``DD/MM/YYYY``; owner-only (0600), since
they hold personal data. The tool reads its own files back: a rejects CSV, corrected and put in
the inbox, imports without warnings about its report-only columns (``REJECTS_EXTRA``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

#: Columns of ``accrochage rejects --csv`` after the canonical ones: what the CDC or the
#: importer said. The importer ignores them without a warning when all are there.
REJECTS_EXTRA: Final = ("status", "cdcMessage", "cdcClass", "hint", "reasons")


@contextmanager
def excel_csv(path: Path, fieldnames: Sequence[str]) -> Iterator[csv.DictWriter[str]]:
    """Open ``path`` (created or truncated, 0600) as an Excel-ready CSV with its header written.

    Raises:
        OSError: the file cannot be written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8-sig", newline="") as handle:  # noqa: PTH123 - an fd
        writer = csv.DictWriter(
            handle, fieldnames=list(fieldnames), delimiter=";", lineterminator="\r\n"
        )
        writer.writeheader()
        yield writer


def report_only(headers: Sequence[str]) -> frozenset[str]:
    """The headers of ``headers`` that are a rejects CSV's report-only columns (or none)."""
    present = frozenset(header.strip() for header in headers)
    return frozenset(REJECTS_EXTRA) if present >= frozenset(REJECTS_EXTRA) else frozenset()
