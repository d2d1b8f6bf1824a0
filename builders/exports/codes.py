"""Codes as spreadsheets mangle them: ``69123.0``, ``1,23457E+11``, ``1053`` for ``01053``.

A spreadsheet that took a code for a number may have written it as a decimal (``69123.0``),
dropped its leading zeros (``1053`` for the INSEE code ``01053``, ``6000`` for the postal code
``06000``), grouped its digits (``69 123``) or, for long ones, written it in scientific notation
(``1,23457E+11``). What is certain is fixed: a ``.0`` is dropped, digit groups are joined, and
a 4-digit French INSEE or postal code regains its one leading zero (every such code has 5
digits). What is not is refused with a message naming the artifact: scientific notation has
lost digits for good. A fix only ever drops a ``.0``, joins digits or adds leading zeros.
"""

from __future__ import annotations

import re
from typing import Final

from builders.exports.cellerror import CellError

_DECIMAL: Final = re.compile(r"([0-9]+)[.,]0+")
_SCIENTIFIC: Final = re.compile(r"[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f'][0-9]{3})+")
_FIVE: Final = 5
SCIENTIFIC_MESSAGE: Final = (
    "a number the spreadsheet wrote in scientific notation: its digits are lost; "
    "format the column as Text in the spreadsheet and export it again"
)


def number_artifacts(raw: str) -> str:
    """``raw`` without the artifacts of a code stored as a number (see the module docstring).

    Raises:
        CellError: the cell is in scientific notation.
    """
    if raw[-1:].isdigit() and raw.isdigit():
        return raw  # fast path: already digits only
    if _SCIENTIFIC.fullmatch(raw):
        raise CellError(SCIENTIFIC_MESSAGE)
    match = _DECIMAL.fullmatch(raw)
    if match is not None:
        return match.group(1)
    if _GROUPED.fullmatch(raw):
        return re.sub(r"[^0-9]", "", raw)
    return raw


def five_digits(code: str) -> str:
    """A French 5-digit code whose leading zero a spreadsheet dropped, restored."""
    if len(code) == _FIVE - 1 and code.isdigit():
        return "0" + code
    return code


def parse_insee(raw: str) -> str:
    """An INSEE code: artifacts fixed, 4 digits regain their leading zero, 2a/2b upper case."""
    return five_digits(number_artifacts(raw)).upper()


def parse_postal(raw: str) -> str:
    """A postal code: artifacts fixed, 4 digits regain their leading zero (French codes)."""
    return five_digits(number_artifacts(raw))


def parse_identifier(raw: str) -> str:
    """A numeric identifier (CPF dossier number): artifacts fixed, no zeros added."""
    return number_artifacts(raw)


def refuse_scientific(raw: str) -> str:
    """A value kept as written, unless a spreadsheet wrote it in scientific notation.

    Used for idTechnique: an identifier is never rewritten (its ``.0`` may be how it was
    declared before), but ``1,23457E+11`` cannot be anyone's identifier.
    """
    if ("E" in raw or "e" in raw) and _SCIENTIFIC.fullmatch(raw):
        raise CellError(SCIENTIFIC_MESSAGE)
    return raw


_PREFIXED: Final = re.compile(r"(RNCP|RS)[\s\-_.]*([0-9][0-9\s\u00a0\u202f]*)", re.IGNORECASE)
_BARE: Final = re.compile(r"[0-9][0-9\s\u00a0\u202f]*")
#: Types whose codes are the France compétences ``RNCP``/``RS`` + digits (4.2).
PREFIXED_TYPES: Final = ("RNCP", "RS")


def parse_certification_code(raw: str) -> str:
    """A France compétences code: ``rncp 34 567`` -> ``RNCP34567``; ``34567.0`` -> ``34567``.

    Bare digits stay bare: the row mapper adds the prefix when the type says which (see
    ``prefix_code``). Other codes (types without a France compétences code) are kept.

    Raises:
        CellError: the code is in scientific notation.
    """
    code = number_artifacts(raw)
    match = _PREFIXED.fullmatch(code)
    if match is not None:
        return match.group(1).upper() + re.sub(r"\s", "", match.group(2))
    if _BARE.fullmatch(code):
        return re.sub(r"\s", "", code)
    return code


def prefix_code(type_: str | None, code: str) -> str | None:
    """The code with its ``RNCP``/``RS`` prefix when it is bare digits and the type says which.

    Returns:
        The prefixed code; ``code`` itself when no prefix is needed; None when the code is bare
        digits and the type is unknown (no certain fix: the caller reports it on ``code``).
    """
    if not code.isdigit():
        return code
    if type_ in PREFIXED_TYPES:
        return f"{type_}{code}"
    if type_ is None:
        return None
    return code


BARE_CODE_MESSAGE: Final = (
    "a France compétences code starts with RNCP or RS (e.g. RNCP{code} or RS{code}): write "
    "the prefix, or give the type column"
)
