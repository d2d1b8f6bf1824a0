"""Names and place labels as spreadsheets hold them.

Copied from web forms, PDFs or other sheets, names carry non-breaking spaces (U+00A0,
U+202F), tabs, runs of spaces and invisible characters (zero-width spaces and joiners, the
word joiner, a stray BOM, soft hyphens). The invisible ones are removed (they separate nothing
a reader can see); every run of other spaces becomes one space. A person's name holding a
digit, a symbol or an emoji, or a control character, is refused: the CDC matches holders on
their names, and such a name is a data-entry slip (``Mart1n``, ``Dupont ✓``), not a name.
Place labels (birth commune, country) are cleaned the same way but may hold digits
(``Marseille 13e``, ``Paris 15e Arrondissement``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from builders.exports.cellerror import CellError

#: Characters removed outright: zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES: Final = re.compile(r"\s+")
#: A name needing no work: Latin letters (accented too), single spaces, hyphens, apostrophes.
_PLAIN: Final = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'\-]+(?: [A-Za-zÀ-ÖØ-öø-ÿ'\-]+)*")


def clean_spaces(raw: str) -> str:
    """Invisible characters removed, every run of spaces (tabs, NBSP...) as one space."""
    return _SPACES.sub(" ", raw.translate(_INVISIBLE)).strip()


def _control(char: str, position: int) -> str:
    return f"contains the control character U+{ord(char):04X} at position {position}; remove it"


def _refused(char: str, position: int) -> str | None:
    category = unicodedata.category(char)
    if category[0] == "N":
        return f"a name cannot contain digits ({char!r} at position {position})"
    if category[0] == "S":
        return f"a name cannot contain symbols or emoji ({char!r} at position {position})"
    if category[0] == "C":
        return f"contains the control character U+{ord(char):04X} at position {position}; remove it"
    return None


def parse_name(raw: str) -> str:
    """A person's name, spaces cleaned (see the module docstring).

    Raises:
        CellError: the name holds a digit, a symbol or emoji, or a control character, or only
            invisible characters.
    """
    if _PLAIN.fullmatch(raw):
        return raw
    name = clean_spaces(raw)
    if not name:
        raise CellError("holds only invisible characters: leave the cell empty or write the name")
    for position, char in enumerate(name, start=1):
        if not char.isalpha():
            message = _refused(char, position)
            if message is not None:
                raise CellError(message)
    return name


def parse_label(raw: str) -> str:
    """A place label: spaces cleaned; control characters refused."""
    label = clean_spaces(raw)
    for position, char in enumerate(label, start=1):
        if unicodedata.category(char)[0] == "C":
            raise CellError(_control(char, position))
    if not label:
        raise CellError("holds only invisible characters: leave the cell empty or write it")
    return label
