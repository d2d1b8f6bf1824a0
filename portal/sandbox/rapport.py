"""The accusé de traitement, written in the documented shapes (cdc-format.md §7.2).

Variant A (file failed the XML/XSD control)::

    <rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">
        <nomFichier/> <idTraitement/> <erreurs><erreur>{type,message,ligne,colonne}</erreur>...

Variant B (file processed)::

    <rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">
        <nomFichier/> <idFlux/> <idTraitement/>
        <PassagesKO><passage><idTechnique/><messageErreur/></passage>...</PassagesKO>
        <PassagesOK><idTechnique/>...</PassagesOK>

Both start with ``<?xml version="1.0" encoding="UTF-8" standalone="no"?>`` and keep the unused
``ns2`` declaration and unqualified elements, as the real samples do. No sample shows what the
CDC emits for an empty section; the replica always writes both sections (``<PassagesKO/>``
when empty). Passages are streamed to two temporary files and joined at the end, so memory
does not grow with the number of passages.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self
from xml.sax.saxutils import escape

from portal.sandbox.files import open_private

DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
ROOT_OPEN = '<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">\n'
MAX_ERRORS = 100  # "seules les 100 premières erreurs ... sont généralement remontées"
_I1, _I2, _I3 = " " * 4, " " * 8, " " * 12


@dataclass(frozen=True)
class FileError:
    """One ``erreurs/erreur`` entry."""

    message: str
    line: int
    column: int
    type: str = "XSD"


def _element(pad: str, name: str, value: object) -> str:
    return f"{pad}<{name}>{escape(str(value))}</{name}>\n"


def write_error_report(
    target: Path, *, nom_fichier: str, id_traitement: int, errors: list[FileError]
) -> None:
    """Write a variant-A report (at most 100 errors) to a new owner-only file."""
    parts = [
        DECLARATION,
        ROOT_OPEN,
        _element(_I1, "nomFichier", nom_fichier),
        _element(_I1, "idTraitement", id_traitement),
        f"{_I1}<erreurs>\n",
    ]
    for error in errors[:MAX_ERRORS]:
        parts.append(f"{_I2}<erreur>\n")
        parts.append(_element(_I3, "type", error.type))
        parts.append(_element(_I3, "message", error.message))
        parts.append(_element(_I3, "ligne", error.line))
        parts.append(_element(_I3, "colonne", error.column))
        parts.append(f"{_I2}</erreur>\n")
    parts.append(f"{_I1}</erreurs>\n</rapport>\n")
    with os.fdopen(open_private(target), "w", encoding="utf-8") as out:
        out.write("".join(parts))


class PassagesReport:
    """A variant-B report being written: call :meth:`ko` / :meth:`ok`, then close."""

    def __init__(self, target: Path, *, nom_fichier: str, id_flux: str, id_traitement: int) -> None:
        self.target = target
        self.head = (
            DECLARATION
            + ROOT_OPEN
            + _element(_I1, "nomFichier", nom_fichier)
            + _element(_I1, "idFlux", id_flux)
            + _element(_I1, "idTraitement", id_traitement)
        )
        self._ko: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._ok: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.ko_count = 0
        self.ok_count = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ko.close()
        self._ok.close()

    def ko(self, id_technique: str, message: str) -> None:
        """Record a refused passage."""
        self._ko.write(
            f"{_I2}<passage>\n{_element(_I3, 'idTechnique', id_technique)}"
            f"{_element(_I3, 'messageErreur', message)}{_I2}</passage>\n"
        )
        self.ko_count += 1

    def ok(self, id_technique: str) -> None:
        """Record an accepted passage."""
        self._ok.write(_element(_I2, "idTechnique", id_technique))
        self.ok_count += 1

    def _section(self, out: IO[str], name: str, body: IO[str], count: int) -> None:
        if count == 0:
            out.write(f"{_I1}<{name}/>\n")
            return
        out.write(f"{_I1}<{name}>\n")
        body.seek(0)
        shutil.copyfileobj(body, out)
        out.write(f"{_I1}</{name}>\n")

    def write(self) -> None:
        """Join the parts into the target file (new, owner-only)."""
        with os.fdopen(open_private(self.target), "w", encoding="utf-8") as out:
            out.write(self.head)
            self._section(out, "PassagesKO", self._ko, self.ko_count)
            self._section(out, "PassagesOK", self._ok, self.ok_count)
            out.write("</rapport>\n")
