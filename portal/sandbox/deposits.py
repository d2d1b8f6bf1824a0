"""Receiving an uploaded file: refuse, or store it with its accusé de réception.

Refusals (no file, not ``.xml``, over the size limit) store nothing. An accepted file is copied
in chunks to ``<data_dir>/deposits/`` (owner-only), read once by a streaming parser for the
accusé de réception, and recorded as "En cours de traitement" (AR OK) or "Rejeté" (AR KO).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from portal.sandbox import labels
from portal.sandbox.files import open_private, private_dir, write_private
from portal.sandbox.labels import Status
from portal.sandbox.receipts import check_file, receipt_xml
from portal.sandbox.rows import Deposit
from portal.sandbox.store import Store

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class UploadRefused(Exception):
    """The upload was refused; ``message`` is shown on the page, nothing was stored."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def clean_name(raw: str | None) -> str:
    """The uploaded file name without any folder part a browser may send."""
    return (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


class DepositService:
    """Stores uploads and their receipts."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        max_bytes: int,
        on_new: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.max_bytes = max_bytes
        self.on_new = on_new
        self.clock = clock

    def accept(self, username: str, raw_name: str | None, stream: IO[bytes] | None) -> Deposit:
        """Store one upload and record it.

        Args:
            username: The logged-in account.
            raw_name: The file name the browser sent.
            stream: The uploaded bytes.

        Returns:
            The new history row.

        Raises:
            UploadRefused: nothing chosen, wrong extension, or too large.
        """
        name = clean_name(raw_name)
        if not name or stream is None:
            raise UploadRefused(labels.NO_FILE)
        if not name.lower().endswith(".xml"):
            raise UploadRefused(labels.NOT_XML.format(name=name))
        folder = private_dir(self.data_dir / "deposits")
        key = uuid.uuid4().hex
        stored = folder / f"{key}.xml"
        size = self._copy(stream, stored)
        check = check_file(stored)
        received_at = self.clock()
        receipt = private_dir(self.data_dir / "receipts") / f"{key}.xml"
        write_private(
            receipt, receipt_xml(check, file_name=name, size=size, received_at=received_at)
        )
        deposit_id = self.store.add_deposit(
            username=username,
            file_name=name,
            stored_path=str(stored.relative_to(self.data_dir)),
            size=size,
            deposited_at=received_at.isoformat(),
            status=Status.PROCESSING if check.ok else Status.REJECTED,
            receipt_ok=check.ok,
            id_flux=check.id_flux,
            receipt_path=str(receipt.relative_to(self.data_dir)),
        )
        log.info("sandbox deposit %s: %s (%d bytes, AR %s)", deposit_id, name, size, check.ok)
        self.on_new()
        deposit = self.store.get_deposit(deposit_id)
        assert deposit is not None  # noqa: S101 - just inserted
        return deposit

    def _copy(self, stream: IO[bytes], target: Path) -> int:
        """Copy the upload to ``target``; nothing is left behind if it is refused."""
        fd = open_private(target)
        try:
            with os.fdopen(fd, "wb") as out:
                return self._copy_chunks(stream, out)
        except BaseException:
            target.unlink(missing_ok=True)
            raise

    def _copy_chunks(self, stream: IO[bytes], out: IO[bytes]) -> int:
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                limit = labels.human_size(self.max_bytes)
                raise UploadRefused(labels.TOO_LARGE.format(limit=limit), 413)
            out.write(chunk)
        return size
