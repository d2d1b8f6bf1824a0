"""Validation of finished files, in background worker processes for the large ones.

``FileValidator`` validates small files at once and sends large ones to up to two worker
processes (``python -m builders.validate XSD``; one JSON request per line) while the writer goes
on; ``finish`` then publishes valid files under their final name and moves failing ones aside
(``<name>.invalid``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

from builders.batching import BuiltFile, PendingFile
from builders.errors import BuildError
from builders.validate import FileFailure, XsdError, file_errors

#: Files at least this large are validated in a background process.
BACKGROUND_BYTES = 8_000_000


class _Worker:
    """A ``python -m builders.validate XSD`` child: one path per line in, one JSON line out."""

    def __init__(self, xsd: Path) -> None:
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "builders.validate", str(xsd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.pending = 0

    def submit(self, pending: PendingFile) -> None:
        assert self.process.stdin is not None  # noqa: S101 - created with PIPE
        layout = pending.layout.to_json() if pending.layout else None
        request = {"path": str(pending.temp_path), "layout": layout}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        self.pending += 1

    def result(self) -> list[XsdError]:
        assert self.process.stdout is not None  # noqa: S101 - created with PIPE
        line = self.process.stdout.readline()
        self.pending -= 1
        if not line:
            raise BuildError(f"the XSD validation process died (exit {self.process.poll()})")
        return [XsdError(*item) for item in json.loads(line)]

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # already gone: nothing to tell it
                self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class FileValidator:
    """Validates finished files: small ones at once, large ones in background processes."""

    def __init__(
        self, xsd: Path | None, *, workers: int = 2, background_bytes: int | None = None
    ) -> None:
        self._xsd = xsd
        self._max_workers = workers
        self._background_bytes = BACKGROUND_BYTES if background_bytes is None else background_bytes
        self._workers: list[_Worker] = []
        self._queue: list[tuple[PendingFile, list[XsdError] | _Worker]] = []

    def submit(self, pending: PendingFile) -> None:
        """Take a finished file; a large one is validated in the background from now on."""
        if self._xsd is None:
            self._queue.append((pending, []))
        elif pending.built.size < self._background_bytes:
            errors = file_errors(pending.temp_path, self._xsd, pending.layout)
            self._queue.append((pending, errors))
        else:
            worker = self._worker(self._xsd)
            worker.submit(pending)
            self._queue.append((pending, worker))

    def _worker(self, xsd: Path) -> _Worker:
        if len(self._workers) < self._max_workers:
            self._workers.append(_Worker(xsd))
            return self._workers[-1]
        return min(self._workers, key=lambda w: w.pending)

    def finish(self) -> tuple[list[BuiltFile], list[FileFailure]]:
        """Wait for every validation; publish valid files, move failing ones aside."""
        built: list[BuiltFile] = []
        failures: list[FileFailure] = []
        try:
            for pending, outcome in self._queue:
                errors = outcome.result() if isinstance(outcome, _Worker) else outcome
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
