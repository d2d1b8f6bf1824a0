"""One holder per idTechnique in test exports.

The importer refuses the same holder with the same certification under two idTechniques
(``builders.exports.holders``): test rows that differ only by their idTechnique get a first
name of their own, made of letters derived from the id.
"""

from __future__ import annotations


def holder_for(id_technique: str, prenom: str = "Élodie") -> str:
    """A first name unique to ``id_technique`` (letters only, so the importer keeps it)."""
    letters = "".join(chr(ord("a") + ord(char) % 26) for char in id_technique)
    return f"{prenom} {letters}" if letters else prenom
