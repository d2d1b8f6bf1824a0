"""Deterministic ``idTechnique`` for exports that have no such column.

The CDC keys every passage by (emitter BCR, idTechnique) and refuses a second deposit of the
same key; a new key for an already declared certificate would declare it twice. So when the
export carries no ``idTechnique`` column, the id is derived from what identifies the
certificate: the certification code, the holder and the validity start date. Re-importing the
same export (even re-saved by a spreadsheet, with accents or case changed) gives the same ids.

Holder identity, first available of: birth name + first name + birth date + sex (the
``titulaire`` data, even when another branch is declared, so adding a NIR column later does
not change ids); else the NIR; else the CPF dossier id.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
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
