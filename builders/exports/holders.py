"""The same holder with the same certification under two idTechniques: one certificate
declared twice, which the CDC would store twice (it deduplicates on idTechnique only).

``holder_key`` is a stable 64-bit hash (the same in every process) of the emitter, the
certification (type, code) and the holder: birth name and first name (case, accents and
punctuation folded), birth date (at the precision given), or the NIR, or the CPF dossier
number. A certification of limited validity (``dateFinValidite`` given) can be renewed, so for
it the certification date is part of the key: a renewal is another certificate.

``HolderIndex`` remembers, per key, the first row's idTechnique (hashed) and where that row
was, in flat arrays (about 30 bytes per row), so a build of 500,000 rows stays small.
"""

from __future__ import annotations

import hashlib
from array import array
from functools import lru_cache
from typing import Final

from builders.cdc.models import PassageRecord
from builders.exports.normalize import fold

_SEPARATOR: Final = "\x1f"


def _hash64(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1  # 0 marks an empty slot


@lru_cache(maxsize=16384)  # names repeat: fold each once
def _folded(name: str) -> str:
    return fold(name)


def holder_key(record: PassageRecord) -> int:
    """The stable key of (emitter, certification, holder) of a valid record."""
    passage = record.passage
    identity = passage.identificationTitulaire
    parts = [
        record.declaration.idClientEmetteur,
        record.certification.type,
        record.certification.code,
    ]
    if identity.titulaire is not None:
        holder = identity.titulaire
        parts += [
            "T",
            _folded(holder.nomNaissance),
            _folded(holder.prenom1),
            str(holder.anneeNaissance),
            str(holder.moisNaissance or ""),
            str(holder.jourNaissance or ""),
        ]
    elif identity.identifiantNational is not None:
        parts += ["N", identity.identifiantNational.nir.upper()]
    elif identity.dossierFormation is not None:
        parts += ["D", identity.dossierFormation.idDossier]
    if passage.dateFinValidite is not None:
        parts.append(passage.dateDebutValidite.isoformat())
    return _hash64(_SEPARATOR.join(parts))


class HolderIndex:
    """Holder keys met so far, with the first row's idTechnique and place (open addressing)."""

    def __init__(self) -> None:
        """An empty index."""
        self._keys = array("q", bytes(8 * 1024))
        self._ids = array("q", bytes(8 * 1024))
        self._places = array("q", bytes(8 * 1024))
        self._mask = 1023
        self._count = 0
        self._sources: list[str] = []

    def add(self, key: int, id_technique: str, source: str, row: int) -> tuple[str, int] | None:
        """Remember a valid row; the (source, row) of an earlier row with the same holder and
        certification under another idTechnique, or None (the row is remembered then)."""
        id_hash = hash(id_technique)  # compared within this process only
        index = key & self._mask
        while (slot := self._keys[index]) != 0:
            if slot == key:
                if self._ids[index] == id_hash:
                    return None
                place = self._places[index]
                return self._sources[place >> 32], place & 0xFFFFFFFF
            index = (index + 1) & self._mask
        if not self._sources or self._sources[-1] != source:
            self._sources.append(source)
        self._keys[index] = key
        self._ids[index] = id_hash
        self._places[index] = ((len(self._sources) - 1) << 32) | row
        self._count += 1
        if self._count * 2 > self._mask:
            self._grow()
        return None

    def _grow(self) -> None:
        old = (self._keys, self._ids, self._places)
        self._mask = self._mask * 2 + 1
        size = 8 * (self._mask + 1)
        self._keys, self._ids, self._places = (
            array("q", bytes(size)),
            array("q", bytes(size)),
            array("q", bytes(size)),
        )
        for key, id_hash, place in zip(*old, strict=True):
            if key:
                index = key & self._mask
                while self._keys[index] != 0:
                    index = (index + 1) & self._mask
                self._keys[index] = key
                self._ids[index] = id_hash
                self._places[index] = place


def duplicate_message(source: str, row: int, here: str) -> str:
    """The error of a row whose holder and certification an earlier row declares."""
    where = f"row {row}" if source == here else f"{source} row {row}"
    return (
        f"the same holder and certification are on {where} under another idTechnique: "
        "one certificate would be declared twice"
    )
