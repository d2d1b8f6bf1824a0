"""Streaming XSD validation of flux files, with exact line numbers and every error.

``xsd_errors(path, xsd)`` parses the file with ``iterparse`` and never holds more than a
batch of passages: each finished ``passageCertification`` is *moved* into a small envelope
document (a minimal valid flux) and the envelope is validated every ``BATCH`` passages. Moved
elements keep their source line, so libxml2 reports the line in the real file. The first
passage of every ``passageCertifications`` stays in place, so once the parse ends, what is
left of the real tree (header, certifications, one passage each) is a valid-shaped skeleton
that is validated too. The XSD has no identity constraints and its containers repeat freely,
so "the skeleton and every passage are valid" is exactly "the file is valid". Measured at
~1.7 s per 50,000 passages, flat memory; lxml's ``iterparse(schema=...)`` takes as long and
reports line 0 for every error.

``FileValidator`` runs that on finished files: small ones at once, large ones in up to two
background processes (``python -m builders.validate XSD``, one path per line) while the next
file is being written; then it publishes valid files under their final name and moves failing
ones aside (``<name>.invalid``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from builders.batching import BuiltFile, PendingFile
from builders.errors import BuildError
from builders.render import NAMESPACE, XSI_NAMESPACE

BATCH = 1000
#: Files at least this large are validated in a background process.
BACKGROUND_BYTES = 8_000_000
#: At most this many errors per file come back from a worker.
MAX_REPORTED = 1000
_PASSAGE = f"{{{NAMESPACE}}}passageCertification"
_PASSAGES = f"{{{NAMESPACE}}}passageCertifications"
_ENVELOPE = (
    f'<cpf:flux xmlns:cpf="{NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}">'
    "<cpf:idFlux>envelope</cpf:idFlux><cpf:horodatage>2000-01-01T00:00:00+01:00</cpf:horodatage>"
    "<cpf:emetteur><cpf:idClient>00000000</cpf:idClient><cpf:certificateurs><cpf:certificateur>"
    "<cpf:idClient>00000000</cpf:idClient><cpf:idContrat>0</cpf:idContrat><cpf:certifications>"
    "<cpf:certification><cpf:type>RS</cpf:type><cpf:code>RS0</cpf:code>"
    "<cpf:passageCertifications/></cpf:certification></cpf:certifications></cpf:certificateur>"
    "</cpf:certificateurs></cpf:emetteur></cpf:flux>"
)


@dataclass(frozen=True)
class XsdError:
    """One schema or syntax error at a line (and column, for syntax errors) of the file."""

    line: int
    column: int
    message: str
    syntax: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@lru_cache(maxsize=4)
def load_schema(xsd: str) -> etree.XMLSchema:
    """Compile an XSD once per process.

    Raises:
        BuildError: the XSD cannot be parsed or compiled.
    """
    try:
        return etree.XMLSchema(etree.parse(xsd))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise BuildError(f"{xsd}: not a usable XSD: {exc}") from exc


def _collect(schema: etree.XMLSchema, doc: etree._Element, errors: list[XsdError]) -> None:
    if not schema.validate(doc):
        entries = schema.error_log.filter_from_errors()  # type: ignore[attr-defined]  # stubs lag
        errors.extend(XsdError(e.line, e.column, e.message) for e in entries)


def xsd_errors(path: Path, xsd: Path) -> list[XsdError]:
    """Every XSD error of the flux at ``path`` (or its first syntax error), sorted by line.

    Raises:
        BuildError: the XSD is unusable.
    """
    schema = load_schema(str(xsd))
    envelope = etree.fromstring(_ENVELOPE)
    box = envelope.find(f".//{_PASSAGES}")
    assert box is not None  # noqa: S101 - the constant envelope has one
    errors: list[XsdError] = []
    pending = 0
    events = etree.iterparse(
        str(path), events=("end",), tag=_PASSAGE, remove_blank_text=True, huge_tree=True
    )
    try:
        for _, element in events:
            parent = element.getparent()
            if parent is None or parent.tag != _PASSAGES or element.getprevious() is None:
                continue  # stays in the skeleton
            box.append(element)  # moves it out of the real tree
            pending += 1
            if pending >= BATCH:
                _collect(schema, envelope, errors)
                box.clear()
                pending = 0
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        errors.append(XsdError(line, column, str(exc.msg), syntax=True))
        return sorted(errors, key=lambda e: e.line)
    if pending:
        _collect(schema, envelope, errors)
    _collect(schema, events.root, errors)
    return sorted(errors, key=lambda e: e.line)


@dataclass(frozen=True)
class FileFailure:
    """A built file the imported XSD rejected; it was moved aside to ``moved_to``."""

    name: str
    moved_to: Path
    errors: tuple[XsdError, ...]

    def describe(self, limit: int = 20) -> str:
        """Human summary: file name then the first ``limit`` errors with their lines."""
        lines = [f"{self.name} fails the imported XSD (moved aside to {self.moved_to.name}):"]
        lines += [f"  {error}" for error in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


class FluxValidationError(BuildError):
    """Some built files failed the imported XSD; ``built`` lists the files that passed."""

    def __init__(self, failures: list[FileFailure], built: list[BuiltFile]) -> None:
        super().__init__("\n".join(failure.describe() for failure in failures))
        self.failures = failures
        self.built = built


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

    def submit(self, path: Path) -> None:
        assert self.process.stdin is not None  # noqa: S101 - created with PIPE
        self.process.stdin.write(f"{path}\n")
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
            self._queue.append((pending, xsd_errors(pending.temp_path, self._xsd)))
        else:
            worker = self._worker(self._xsd)
            worker.submit(pending.temp_path)
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


def _serve(xsd: Path) -> None:
    """Worker loop: validate each path read on stdin, answer one JSON line per path."""
    for line in sys.stdin:
        errors = xsd_errors(Path(line.rstrip("\n")), xsd)[:MAX_REPORTED]
        sys.stdout.write(json.dumps([list(astuple(e)) for e in errors]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
