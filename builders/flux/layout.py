"""Where the passages of a file being written sit, so it can be validated in chunks.

The splitting writer records, for each run of at most ``CHUNK_PASSAGES`` passages of one
certification, the byte span and first line of the run and of its ``<cpf:certification>``
opening. The validator (``builders.flux.validate.layout_errors``) then validates each run as a
small document (the file's own header + the run's certification opening + the run + the closing
tags), which is somewhat cheaper than a streaming parse of the whole file, and maps the
reported lines back to the file. Runs can be validated as soon as they are written
(``on_chunk``); once the file is complete, a check that the header, the runs and the closing
tags tile the file exactly makes sure every byte of it was validated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

CHUNK_PASSAGES = 1000


@dataclass(frozen=True)
class Chunk:
    """One run of passages: its certification opening and its body (byte offsets, lines)."""

    cert_start: int
    cert_end: int
    cert_line: int
    body_start: int
    body_end: int
    body_line: int


@dataclass(frozen=True)
class Layout:
    """The header's extent and every run of a finished file."""

    head_end: int
    head_lines: int
    chunks: tuple[Chunk, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (sent to validation worker processes)."""
        return {
            "head_end": self.head_end,
            "head_lines": self.head_lines,
            "chunks": [asdict(chunk) for chunk in self.chunks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        """Inverse of ``to_json``."""
        chunks = tuple(Chunk(**chunk) for chunk in data["chunks"])
        return cls(int(data["head_end"]), int(data["head_lines"]), chunks)


class LayoutRecorder:
    """Fed by the writer as it writes; ``layout()`` once the file is complete."""

    def __init__(
        self,
        head_end: int,
        head_lines: int,
        chunk_passages: int | None = None,
        on_chunk: Callable[[Chunk], None] | None = None,
    ) -> None:
        self._on_chunk = on_chunk
        self.head_end = head_end
        self.head_lines = head_lines
        self._chunk_passages = CHUNK_PASSAGES if chunk_passages is None else chunk_passages
        self._chunks: list[Chunk] = []
        self._cert = (0, 0, 0)
        self._open: tuple[int, int] | None = None
        self._count = 0

    def certification(self, start: int, end: int, line: int) -> None:
        """A ``<cpf:certification>`` opening was written at [start, end), from ``line``."""
        self._cert = (start, end, line)

    def passage(self, offset: int, line: int) -> None:
        """A passage is about to be written at ``offset``, starting on ``line``."""
        self.passages(offset, line, 1)

    def passages(self, offset: int, line: int, count: int) -> int:
        """Up to ``count`` passages are about to be written from ``offset`` (on ``line``).

        Returns:
            How many of them the current run takes (at least 1): the caller writes those,
            then calls again for the rest, with the offset and line where they start.
        """
        if self._open is None or self._count >= self._chunk_passages:
            self.end(offset)
            self._open = (offset, line)
            self._count = 0
        taken = min(count, self._chunk_passages - self._count)
        self._count += taken
        return taken

    def end(self, offset: int) -> None:
        """The current run (if any) ends at ``offset``; ``on_chunk`` hears of it at once."""
        if self._open is None:
            return
        start, line = self._open
        chunk = Chunk(*self._cert, start, offset, line)
        self._chunks.append(chunk)
        self._open = None
        if self._on_chunk is not None:
            self._on_chunk(chunk)

    def layout(self) -> Layout:
        """The recorded layout."""
        return Layout(self.head_end, self.head_lines, tuple(self._chunks))
