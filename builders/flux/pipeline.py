r"""Import and render an export's rows, in a child process when the file is large.

``rendered_blocks`` yields the non-blank data rows in :class:`~builders.flux.blocks.Block`\ s of
``BLOCK`` rows, in file order:

- a skipped row (``admis`` false) is in ``others`` with errors None;
- a bad row is in ``others`` with its ``RowError``s (a record that cannot be written in the
  schema version, e.g. identifiantNational under 1.1.2, is a bad row with an error on
  idTechnique);
- a valid row's rendered passage is in the run of its group.

Reading, validating and rendering rows is most of a build's work. For a file of at least
``CHILD_BYTES`` on a machine with more than one CPU it is shared by ``CHILDREN`` child processes
(forked from this one when it runs a single thread, else ``python -m builders.flux.pipeline``;
see ``builders.flux.forking``): each reads the whole file but validates and renders only every
other block of ``BLOCK`` rows (``importer.import_share``), and sends each block back through a
pipe of its own (a length-prefixed pickle; pipes hold a bounded amount, so memory stays flat).
This process takes the blocks in turn, so rows still come in file order, and meanwhile spools,
writes and hands files to the validation workers. The first child's log records are replayed
here; an error that makes the file unusable (``BuildError``) is raised here too.

A reused idTechnique is not looked for here (no child sees every row) but by the build's
spool, whose message names the first row ("already used in <file> row <n>").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, Final

from builders.cdc.render import render_passage
from builders.cdc.versions import SchemaVersion
from builders.errors import BuildError
from builders.exports.importer import import_share
from builders.exports.results import RowError
from builders.flux.blocks import Block, Keys, PartsRow, shared_keys, to_blocks
from builders.flux.forking import Helper, fork_call, forking, spawn
from builders.settings import BuildSettings, Declarant

logger = logging.getLogger(__name__)

#: Files at least this large are imported by child processes.
CHILD_BYTES: Final = 4_000_000
#: Child processes sharing a large file, and rows per block (one block per message).
CHILDREN: Final = 2
BLOCK: Final = 200
_PIPE_BYTES: Final = 1 << 20
_F_SETPIPE_SZ: Final = 1031  # Linux fcntl
_HEADER: Final = struct.Struct("<Q")
#: Message kinds: rows, a log record, the end, an error.
_ROWS, _LOG, _END, _ERROR = range(4)


def rendered_blocks(
    path: Path,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    schema_version: SchemaVersion,
    report: bool = True,
    today: dt.date | None = None,
    data_dir: Path | None = None,
) -> Generator[Block, None, None]:
    """Import ``path`` and render its valid rows, in blocks in file order (see the module
    docstring). ``report=False``: the file's notices are not logged (the caller has them).

    Closing the generator early (``close()``) stops and reaps the child processes.

    Raises:
        BuildError: the file cannot be used at all (raised on the first ``next``).
    """
    count = min(CHILDREN, os.cpu_count() or 1)
    if count > 1 and _size(path) >= CHILD_BYTES:
        yield from _from_children(
            path, declarant, settings, schema_version, count, (today, data_dir, report)
        )
    else:
        keys: Keys = ({}, {})
        rows = _rendered_parts(
            path, declarant, settings, schema_version, (0, 1), BLOCK, (today, data_dir, report)
        )
        for block in to_blocks(rows, BLOCK):
            yield shared_keys(block, keys)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # import_share reports the unusable file


def _rendered_parts(
    path: Path,
    declarant: Declarant,
    settings: BuildSettings,
    version: SchemaVersion,
    share: tuple[int, int],
    block: int,
    context: tuple[dt.date | None, Path | None, bool],
) -> Iterator[PartsRow]:
    rows = import_share(
        path,
        declarant=declarant,
        settings=settings,
        schema_version=version,
        share=share,
        block=block,
        check_reuse=False,  # the build's spool checks every row, whichever process read it
        today=context[0],
        data_dir=context[1],
        report=context[2],
    )
    for row in rows:
        record = row.record
        if row.skipped:
            yield row.source, row.row, None, None
        elif record is None or row.errors:
            yield row.source, row.row, row.errors, None
        else:
            passage = record.passage
            try:
                xml = render_passage(passage, version)
            except ValueError as exc:
                error = RowError(row.source, row.row, "idTechnique", passage.idTechnique, str(exc))
                yield row.source, row.row, (error,), None
                continue
            # The keys of ``writer.keys_of``, as tuples.
            declaration, certification = record.declaration, record.certification
            nature = certification.natureDeposant
            parts = (
                (
                    declaration.idClientEmetteur,
                    declaration.idClientCertificateur,
                    declaration.idContrat,
                ),
                (certification.type, certification.code, nature.value if nature else None),
                passage.idTechnique,
                xml,
                row.holder_key or 0,
                row.warnings,
            )
            yield row.source, row.row, (), parts


class _Child:
    """One import child process (forked or spawned) and the pipe it writes its rows to."""

    def __init__(self, request: tuple[Any, ...]) -> None:
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):  # a larger pipe lets the child work further ahead
            fcntl.fcntl(read_fd, _F_SETPIPE_SZ, _PIPE_BYTES)
        try:
            if forking():
                pid = fork_call(lambda: _serve_fd(request, write_fd), keep=[write_fd])
                self.helper = Helper(pid)
            else:
                process = spawn(
                    "builders.flux.pipeline",
                    str(write_fd),
                    stdin=subprocess.PIPE,
                    pass_fds=(write_fd,),
                )
                assert process.stdin is not None  # noqa: S101 - a PIPE
                with process.stdin as stdin:
                    pickle.dump(request, stdin)
                self.helper = Helper(process.pid, process)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the child has its own copy: EOF here once it is gone
        self.stdout: IO[bytes] = os.fdopen(read_fd, "rb")

    def receive(self) -> tuple[int, Any]:
        """The next message; log records are replayed here, errors raised."""
        while True:
            head = self.stdout.read(_HEADER.size)
            (size,) = _HEADER.unpack(head) if len(head) == _HEADER.size else (-1,)
            data = self.stdout.read(size) if size >= 0 else b""
            if size < 0 or len(data) < size:
                raise BuildError(f"the import process died (exit {self.helper.wait()})")
            kind, payload = pickle.loads(data)  # noqa: S301 - our own child's output
            if kind == _ERROR:
                raise payload
            if kind != _LOG:
                return kind, payload
            record: logging.LogRecord = payload
            if logging.getLogger(record.name).isEnabledFor(record.levelno):
                logging.getLogger(record.name).handle(record)

    def close(self) -> None:
        """Stop the process if it still runs, and reap it."""
        self.helper.kill()
        self.stdout.close()
        self.helper.wait()


def _from_children(
    path: Path,
    declarant: Declarant,
    settings: BuildSettings,
    version: SchemaVersion,
    count: int,
    context: tuple[dt.date | None, Path | None, bool],
) -> Iterator[Block]:
    level = logging.getLogger("builders").getEffectiveLevel()
    children: list[_Child] = []
    try:
        for index in range(count):
            share = (index, count)
            request = (str(path), declarant, settings, version, level, share, BLOCK, context)
            children.append(_Child(request))
        keys: Keys = ({}, {})
        block = 0
        while True:
            kind, payload = children[block % count].receive()
            if kind == _END:
                break
            yield shared_keys(payload, keys)
            block += 1
        for child in children[block % count + 1 :] + children[: block % count]:
            child.receive()  # their end (or the error that stopped them)
    finally:
        for child in children:
            child.close()


class _Sender(logging.Handler):
    """The child's end: blocks of rows and log records, length-prefixed pickles."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream

    def send(self, kind: int, payload: object) -> None:
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        self._stream.write(_HEADER.pack(len(data)) + data)

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.send(_LOG, record)


def _serve(request: tuple[Any, ...], stream: IO[bytes]) -> None:
    """Import this child's share of the file and stream its rows to ``stream``."""
    path, declarant, settings, version, level, share, block, context = request
    sender = _Sender(stream)
    if share[0] == 0:  # the others read the same file: their records would be repeats
        root = logging.getLogger()
        root.addHandler(sender)
        root.setLevel(level)
    try:
        rows = _rendered_parts(Path(path), declarant, settings, version, share, block, context)
        for found in to_blocks(rows, block):
            sender.send(_ROWS, found)
        sender.send(_END, None)
    except BuildError as exc:
        sender.send(_ERROR, BuildError(str(exc)))
    except Exception as exc:  # noqa: BLE001 - any failure must reach the parent as an error
        traceback.print_exc()
        sender.send(_ERROR, BuildError(f"the import process failed: {exc!r}"))
    stream.flush()


def _serve_fd(request: tuple[Any, ...], fd: int) -> None:
    with os.fdopen(fd, "wb") as stream:
        _serve(request, stream)


def _child() -> None:
    """``python -m builders.flux.pipeline FD``: read the request on stdin, stream rows to ``FD``."""
    request = pickle.load(sys.stdin.buffer)  # noqa: S301 - from our parent
    _serve_fd(request, int(sys.argv[1]))


if __name__ == "__main__":
    _child()
