"""Errors raised by the builders."""

from __future__ import annotations


class BuildError(Exception):
    """The input cannot be used at all, or a built file failed validation."""


class SchemaImportError(BuildError):
    """An XSD (or kit zip) given to ``accrochage schema import`` is unusable."""
