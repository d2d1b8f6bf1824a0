"""Validation of the files being written, in a background process pool for large builds.

``FileValidator`` hears of every run of passages as soon as the writer has it on disk
(``chunk_ready``). Until a build has ``BACKGROUND_BYTES`` waiting, runs are only noted and a
finished file is validated at once in this process. Beyond that, a pool of two processes
(``builders.flux.parallel.Pool``: forked from this one when it runs a single thread, else
started by a fork server) validates runs as they come (``validate.answer``), in parallel with
the writer, so little is left to check when the last file is closed. ``finish`` then checks that
each file's runs tile it exactly (else validates it again, streaming), publishes valid files
under their final name and moves failing ones aside (``<name>.invalid``).

An XSD with identity constraints cannot be checked run by run: its files are sent whole.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

from builders.cdc.xsd import XsdError, needs_whole_document, xsd_errors
from builders.flux.layout import Chunk
from builders.flux.parallel import Pool
from builders.flux.splitter import BuiltFile, PendingFile
from builders.flux.validate import FileFailure, answer, file_errors, merge, tiles

#: Once this many bytes wait for validation, the pool's processes take over.
BACKGROUND_BYTES = 8_000_000


def start_pool(workers: int) -> Pool:
    """The validation pool (its processes start with the first task)."""
    return Pool(workers, what="XSD validation")


#: A file's validation: its errors, the pool's answer for the whole file, or None (its runs).
_Outcome = list[XsdError] | Future[list[XsdError]] | None


class FileValidator:
    """Validates the writer's files run by run, in the background once the build is large."""

    def __init__(
        self, xsd: Path | None, *, workers: int = 2, background_bytes: int | None = None
    ) -> None:
        self._xsd = xsd
        self._by_runs = xsd is not None and not needs_whole_document(str(xsd))
        self._max_workers = workers
        self._background_bytes = BACKGROUND_BYTES if background_bytes is None else background_bytes
        self._pool: Pool | None = None
        self._waiting: dict[Path, list[dict[str, Any]]] = {}
        self._waiting_bytes = 0
        self._sent: dict[Path, list[Future[list[XsdError]]]] = {}
        self._queue: list[tuple[PendingFile, _Outcome]] = []

    def chunk_ready(self, path: Path, head_end: int, head_lines: int, chunk: Chunk) -> None:
        """A run of ``path`` is on disk: validate it now (pool) or note it for later."""
        if not self._by_runs or self._xsd is None:
            return
        request = {
            "path": str(path),
            "head_end": head_end,
            "head_lines": head_lines,
            "chunk": chunk.__dict__,
        }
        if self._pool is not None:
            self._send(path, request)
            return
        self._waiting.setdefault(path, []).append(request)
        self._waiting_bytes += chunk.body_end - chunk.body_start
        if self._waiting_bytes >= self._background_bytes:
            self._pool = start_pool(self._max_workers)
            for waiting_path, requests in self._waiting.items():
                for waiting in requests:
                    self._send(waiting_path, waiting)
            self._waiting, self._waiting_bytes = {}, 0

    def _send(self, path: Path, request: dict[str, Any]) -> Future[list[XsdError]]:
        assert self._pool is not None and self._xsd is not None  # noqa: S101 - callers check
        future = self._pool.submit(answer, str(self._xsd), request)
        self._sent.setdefault(path, []).append(future)
        return future

    def submit(self, pending: PendingFile) -> None:
        """A file is complete: validate what remains of it (at once if nothing was sent)."""
        path = pending.temp_path
        if self._xsd is None:
            self._queue.append((pending, []))
        elif self._by_runs and path not in self._sent:
            requests = self._waiting.pop(path, [])
            self._waiting_bytes -= sum(
                r["chunk"]["body_end"] - r["chunk"]["body_start"] for r in requests
            )
            self._queue.append((pending, file_errors(path, self._xsd, pending.layout)))
        elif self._by_runs:
            self._queue.append((pending, None))  # answers come from the runs sent
        elif pending.built.size < self._background_bytes:
            self._queue.append((pending, xsd_errors(path, self._xsd)))
        else:
            if self._pool is None:
                self._pool = start_pool(1)  # whole documents: one in memory at a time
            future = self._send(path, {"path": str(path), "layout": None})
            self._sent.pop(path)
            self._queue.append((pending, future))

    def _errors(self, pending: PendingFile, outcome: _Outcome) -> list[XsdError]:
        if isinstance(outcome, list):
            return outcome
        if outcome is not None:
            return self._result(outcome)
        assert self._xsd is not None  # noqa: S101 - runs are only sent with an XSD
        errors: list[XsdError] = []
        for future in self._sent.pop(pending.temp_path, []):
            errors += self._result(future)
        if pending.layout is None or not tiles(pending.temp_path, pending.layout):
            return xsd_errors(pending.temp_path, self._xsd)
        return merge(errors)

    def _result(self, future: Future[list[XsdError]]) -> list[XsdError]:
        assert self._pool is not None  # noqa: S101 - futures come from the pool
        return self._pool.result(future)

    def finish(self) -> tuple[list[BuiltFile], list[FileFailure]]:
        """Wait for every validation; publish valid files, move failing ones aside."""
        built: list[BuiltFile] = []
        failures: list[FileFailure] = []
        try:
            for pending, outcome in self._queue:
                errors = self._errors(pending, outcome)
                if errors:
                    moved = pending.reject()
                    failures.append(FileFailure(pending.built.name, moved, tuple(errors)))
                else:
                    built.append(pending.publish())
        finally:
            self._stop(kill=False)
        return built, failures

    def abort(self) -> None:
        """Kill the pool's processes (files not yet published stay as temp parts)."""
        self._stop(kill=True)

    def _stop(self, *, kill: bool) -> None:
        if self._pool is not None:
            self._pool.close(kill=kill)
        self._pool = None
        self._queue = []
        self._sent = {}
        self._waiting = {}
