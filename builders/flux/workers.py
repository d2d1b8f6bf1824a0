"""Validation of the files being written, in background worker processes for large builds.

``FileValidator`` hears of every run of passages as soon as the writer has it on disk
(``chunk_ready``). Until a build has ``BACKGROUND_BYTES`` waiting, runs are only noted and a
finished file is validated at once in this process. Beyond that, two worker processes
(``validate.serve``: forked from this one when it runs a single thread, see
``builders.flux.forking``, else ``python -m builders.flux.validate XSD``; one JSON request per line)
validate runs as they come, in parallel with the writer, so little is left to check when the
last file is closed. ``finish`` then checks that each file's runs tile it exactly (else
validates it again, streaming), publishes valid files under their final name and moves failing
ones aside (``<name>.invalid``).

An XSD with identity constraints cannot be checked run by run: its files are sent whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

from builders.cdc.xsd import XsdError, needs_whole_document, xsd_errors
from builders.errors import BuildError
from builders.flux.forking import Helper, fork_call, forking, spawn
from builders.flux.layout import Chunk
from builders.flux.splitter import BuiltFile, PendingFile
from builders.flux.validate import (
    FileFailure,
    file_errors,
    merge,
    serve_fds,
    tiles,
)

#: Once this many bytes wait for validation, worker processes take over.
BACKGROUND_BYTES = 8_000_000


class _Worker:
    """A validation child (``validate.serve``: forked, else ``python -m builders.flux.validate
    XSD``); ``start`` its thread that collects the answers."""

    def __init__(self, xsd: Path) -> None:
        if forking():
            request_read, request_write = os.pipe()
            answer_read, answer_write = os.pipe()
            pid = fork_call(
                lambda: serve_fds(xsd, request_read, answer_write),
                keep=[request_read, answer_write],
            )
            os.close(request_read)
            os.close(answer_write)
            self.helper = Helper(pid)
            self._requests: IO[str] = os.fdopen(request_write, "w")
            self._answers_in: IO[str] = os.fdopen(answer_read, "r")
        else:
            process = spawn(
                "builders.flux.validate",
                str(xsd),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdin is not None and process.stdout is not None  # noqa: S101
            self.helper = Helper(process.pid, process)
            self._requests, self._answers_in = process.stdin, process.stdout
        self.pending = 0
        self._answers: queue.Queue[str] = queue.Queue()
        # Reading answers as they come means a worker never blocks on a full pipe while this
        # process blocks sending it requests.
        self._reader = threading.Thread(target=self._read, daemon=True)

    def start(self) -> None:
        """Start collecting answers (after every worker was forked: forks need one thread)."""
        self._reader.start()

    def _read(self) -> None:
        for line in self._answers_in:
            self._answers.put(line)
        self._answers.put("")  # end of output: the process is gone

    def send(self, request: dict[str, Any]) -> None:
        try:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
        except BrokenPipeError:
            code = self.helper.wait()
            raise BuildError(f"the XSD validation process died (exit {code})") from None
        self.pending += 1

    def result(self) -> list[XsdError]:
        line = self._answers.get()
        self.pending -= 1
        if not line:
            raise BuildError(f"the XSD validation process died (exit {self.helper.wait()})")
        return [XsdError(*item) for item in json.loads(line)]

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.helper.kill()
        with contextlib.suppress(BrokenPipeError):  # already gone: nothing to tell it
            self._requests.close()
        try:
            self.helper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.helper.kill()
            self.helper.wait()
        if self._reader.is_alive():
            self._reader.join(timeout=5)
        self._answers_in.close()


def _start_workers(xsd: Path, count: int) -> list[_Worker]:
    workers = [_Worker(xsd) for _ in range(count)]
    for worker in workers:
        worker.start()
    return workers


class FileValidator:
    """Validates the writer's files run by run, in the background once the build is large."""

    def __init__(
        self, xsd: Path | None, *, workers: int = 2, background_bytes: int | None = None
    ) -> None:
        self._xsd = xsd
        self._by_runs = xsd is not None and not needs_whole_document(str(xsd))
        self._max_workers = workers
        self._background_bytes = BACKGROUND_BYTES if background_bytes is None else background_bytes
        self._workers: list[_Worker] = []
        self._turn = 0
        self._waiting: dict[Path, list[dict[str, Any]]] = {}
        self._waiting_bytes = 0
        self._sent: dict[Path, list[_Worker]] = {}
        self._queue: list[tuple[PendingFile, list[XsdError] | _Worker | None]] = []

    def chunk_ready(self, path: Path, head_end: int, head_lines: int, chunk: Chunk) -> None:
        """A run of ``path`` is on disk: validate it now (workers) or note it for later."""
        if not self._by_runs or self._xsd is None:
            return
        request = {
            "path": str(path),
            "head_end": head_end,
            "head_lines": head_lines,
            "chunk": chunk.__dict__,
        }
        if self._workers:
            self._send(path, request)
            return
        self._waiting.setdefault(path, []).append(request)
        self._waiting_bytes += chunk.body_end - chunk.body_start
        if self._waiting_bytes >= self._background_bytes:
            self._workers = _start_workers(self._xsd, self._max_workers)
            for waiting_path, requests in self._waiting.items():
                for waiting in requests:
                    self._send(waiting_path, waiting)
            self._waiting, self._waiting_bytes = {}, 0

    def _send(self, path: Path, request: dict[str, Any]) -> None:
        worker = self._workers[self._turn % len(self._workers)]
        self._turn += 1
        worker.send(request)
        self._sent.setdefault(path, []).append(worker)

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
            if not self._workers:
                self._workers = _start_workers(self._xsd, 1)
            worker = self._workers[self._turn % len(self._workers)]
            self._turn += 1
            worker.send({"path": str(path), "layout": None})
            self._queue.append((pending, worker))

    def _errors(
        self, pending: PendingFile, outcome: list[XsdError] | _Worker | None
    ) -> list[XsdError]:
        if isinstance(outcome, list):
            return outcome
        if isinstance(outcome, _Worker):
            return outcome.result()
        assert self._xsd is not None  # noqa: S101 - runs are only sent with an XSD
        errors: list[XsdError] = []
        for worker in self._sent.pop(pending.temp_path, []):
            errors += worker.result()
        if pending.layout is None or not tiles(pending.temp_path, pending.layout):
            return xsd_errors(pending.temp_path, self._xsd)
        return merge(errors)

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
        """Kill the worker processes (files not yet published stay as temp parts)."""
        self._stop(kill=True)

    def _stop(self, *, kill: bool) -> None:
        for worker in self._workers:
            worker.stop(kill=kill)
        self._workers = []
        self._queue = []
        self._sent = {}
        self._waiting = {}
