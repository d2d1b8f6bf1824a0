"""The error a cell converter raises: the cell cannot be read as the value its column needs."""

from __future__ import annotations


class CellError(ValueError):
    """A cell cannot be read as the value its column needs; the message says what was expected."""
