"""The comparison key of a header or a label: what is left when case and decoration go."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_NOT_ALNUM: Final = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Lower case, accents removed, letters and digits only.

    ``Date de\\nnaissance``, ``DATE DE NAISSANCE`` and ``date_de_naissance`` give one key, as
    do ``Admis(e)`` and ``admis e``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub("", bare)
