"""Deterministic ``idTechnique`` for exports that have no such column.

The CDC keys every passage by (emitter BCR, idTechnique) and refuses a second deposit of the
same key; a new key for an already declared certificate would declare it twice. So when the
export carries no ``idTechnique`` column, the id is derived from what identifies the
certificate: the certification code, the holder and the validity start date. Re-importing the
same export (even re-saved by a spreadsheet, with accents or case changed) gives the same ids.

``SeenIds`` remembers which (emitter, idTechnique) pairs a file already used, in about 16 bytes
per row, so that memory stays nearly flat on large exports.

Holder identity, first available of: birth name + first name + birth date + sex (the
``titulaire`` data, even when another branch is declared, so adding a NIR column later does
not change ids); else the NIR; else the CPF dossier id.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from array import array
from collections.abc import Mapping
from typing import Final

PREFIX: Final = "AA-"
_SPACES: Final = re.compile(r"\s+")


def _canonical(value: object) -> str:
    text = "" if value is None else str(value)
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare).strip().upper()


def identity_key(values: Mapping[str, object]) -> str:
    """The holder part of the key, from normalised row values (canonical column names)."""
    if values.get("nomNaissance") and values.get("prenom1") and values.get("anneeNaissance"):
        fields = ("nomNaissance", "prenom1", "anneeNaissance", "moisNaissance")
        parts = [_canonical(values.get(name)) for name in (*fields, "jourNaissance", "sexe")]
        return "T:" + "|".join(parts)
    if values.get("nir"):
        return "N:" + _canonical(values["nir"])
    return "D:" + _canonical(values.get("idDossier"))


def derive_id_technique(values: Mapping[str, object]) -> str:
    """The idTechnique of a row, from its certification code, holder and dateDebutValidite.

    Args:
        values: normalised row values by canonical column name (``code``,
            ``dateDebutValidite``, holder columns); missing values count as empty.

    Returns:
        ``AA-`` followed by 24 base32 characters of a SHA-256 of the normalised key (120 bits).
    """
    key = "\x1f".join(
        (
            _canonical(values.get("code")),
            identity_key(values),
            _canonical(values.get("dateDebutValidite")),
        )
    )
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:24]


class SeenIds:
    """A set of (emitter, idTechnique) keys kept as 64-bit hashes in one flat array.

    A Python set of the same hashes costs about 60 bytes per entry (int object plus slot);
    this open-addressing table costs 16 at most, which keeps the importer's memory nearly flat
    at 500,000 rows. Two different keys sharing a 64-bit hash is possible in theory (about one
    chance in 10^8 for a million rows); it would reject the second row as a duplicate.
    """

    def __init__(self) -> None:
        """An empty table."""
        self._table = array("q", bytes(8 * 1024))
        self._mask = 1023
        self._count = 0

    def add(self, emitter: str, id_technique: str) -> bool:
        """Remember a key; False when it was already there."""
        value = hash((emitter, id_technique)) or 1  # 0 marks an empty slot
        table, mask = self._table, self._mask
        index = value & mask
        while (slot := table[index]) != 0:
            if slot == value:
                return False
            index = (index + 1) & mask
        table[index] = value
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return True

    def __len__(self) -> int:
        """How many keys are remembered."""
        return self._count

    def _grow(self) -> None:
        old = self._table
        self._mask = self._mask * 2 + 1
        self._table = array("q", bytes(8 * (self._mask + 1)))
        table, mask = self._table, self._mask
        for value in old:
            if value:
                index = value & mask
                while table[index] != 0:
                    index = (index + 1) & mask
                table[index] = value
