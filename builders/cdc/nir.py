"""The NIR (numéro de sécurité sociale) as the 1.1.5 ``identifiantNational/nir`` wants it.

The XSD takes exactly 13 characters: sex (1 or 2), birth year and month (4 digits), department
(2 digits, or 2A/2B for Corsica), commune (3 digits), order number (3 digits); never the key.
A 15-character NIR is accepted only when its 2-digit key is right, then stripped to 13.
Key = 97 - (number mod 97), where Corsica's 2A counts as 19 and 2B as 18.
"""

from __future__ import annotations

import re
from typing import Final

_SEPARATORS: Final = re.compile(r"[\s.\-]+")
_NIR13: Final = re.compile(r"[12][0-9]{4}(?:2[AB]|[0-9]{2})[0-9]{6}")
_NIR15: Final = re.compile(r"([12][0-9]{4}(?:2[AB]|[0-9]{2})[0-9]{6})([0-9]{2})")
EXPECTED: Final = (
    "expected a NIR of 13 characters (sex 1/2, YYMM, department, commune, order), "
    "or 15 with its key"
)


def nir_key(nir13: str) -> int:
    """The 2-digit control key of a 13-character NIR (Corsica: 2A -> 19, 2B -> 18).

    Args:
        nir13: the first 13 characters of a NIR, upper case.

    Returns:
        97 - (number mod 97), from 1 to 97.
    """
    digits = nir13[:5] + nir13[5:7].replace("2A", "19").replace("2B", "18") + nir13[7:]
    return 97 - int(digits) % 97


def normalize_nir(raw: str) -> str:
    """The 13-character NIR written in ``raw`` (spaces, dots and dashes allowed).

    Args:
        raw: a NIR of 13 characters, or 15 with the key.

    Returns:
        The 13 characters, Corsican department in upper case.

    Raises:
        ValueError: not a NIR, or a 15-character NIR whose key is wrong (message in English).
    """
    value = _SEPARATORS.sub("", raw).upper()
    if _NIR13.fullmatch(value):
        return value
    match = _NIR15.fullmatch(value)
    if match is None:
        if value[:1] not in ("1", "2") and len(value) in (13, 15):
            raise ValueError(EXPECTED + "; the CDC only accepts a NIR starting with 1 or 2")
        raise ValueError(EXPECTED)
    nir13, key = match.groups()
    expected = nir_key(nir13)
    if int(key) != expected:
        raise ValueError(f"NIR key {key} is wrong for {nir13} (expected {expected:02d})")
    return nir13
