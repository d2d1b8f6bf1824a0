"""Stage 1 of processing: the XML/XSD control of a received file.

With an official XSD (``--xsd PATH``, or the newest one imported with ``accrochage schema
import`` under ``<agent data_dir>/schemas/<version>/``) the file is validated against it with
``builders.validate.xsd_errors`` (streaming, every error with its line). Without one, the
project's built-in structural rules are used. Errors become ``erreurs/erreur`` entries of type
``XSD`` (the only type the CDC is known to use); libxml2 writes its messages in English, where
the CDC's Java validator writes French ones.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from builders.validate import xsd_errors
from portal.sandbox.fluxscan import iter_passages, read_header
from portal.sandbox.rapport import MAX_ERRORS, FileError

log = logging.getLogger(__name__)
_VERSION = re.compile(r"\d+(\.\d+)*")


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in folder.name.split("."))


def find_xsd(explicit: Path | None, schemas_dir: Path | None) -> Path | None:
    """The XSD to control files with: the explicit one, else the newest imported one.

    Args:
        explicit: ``--xsd`` / the ``xsd`` setting.
        schemas_dir: ``<agent data_dir>/schemas`` (folders named by version, e.g. ``1.1.5``).

    Returns:
        An XSD path, or None to use the built-in rules.
    """
    if explicit is not None:
        return explicit
    if schemas_dir is None or not schemas_dir.is_dir():
        return None
    versions = sorted(
        (d for d in schemas_dir.iterdir() if d.is_dir() and _VERSION.fullmatch(d.name)),
        key=_version_key,
        reverse=True,
    )
    for folder in versions:
        xsds = sorted(folder.glob("*.xsd"))
        if xsds:
            return xsds[0]
    return None


def _builtin_errors(path: Path) -> list[FileError]:
    """Minimal structural rules used when no official XSD is available."""
    errors: list[FileError] = []
    header = read_header(path)
    if not header.id_flux or len(header.id_flux) > 50:
        errors.append(FileError("Donnée absente ou trop longue : cpf:idFlux (1 à 50).", 1, 0))
    if len(header.emitter_bcr) != 8:
        errors.append(FileError("cpf:emetteur/cpf:idClient doit faire 8 caractères.", 1, 0))
    if header.action not in ("CREATION", "SUPPRESSION"):
        errors.append(FileError(f"cpf:action inconnue : {header.action}.", 1, 0))
    if not header.certifications:
        errors.append(FileError("Donnée absente : cpf:certification.", 1, 0))
    for type_, code in header.certifications:
        if not type_ or not code:
            errors.append(FileError("Donnée absente : cpf:type ou cpf:code.", 1, 0))
    for passage in iter_passages(path):
        if len(errors) >= MAX_ERRORS:
            break
        if not 1 <= len(passage.id_technique) <= 255:
            errors.append(
                FileError("Donnée absente ou trop longue : cpf:idTechnique.", passage.line, 0)
            )
        if passage.birth_name is None:
            errors.append(
                FileError("Donnée absente : cpf:identificationTitulaire.", passage.line, 0)
            )
    return errors


def control_errors(path: Path, xsd: Path | None) -> list[FileError]:
    """The file-level errors of a received, well-formed flux (empty when it passes).

    Args:
        path: The stored file.
        xsd: The official XSD, or None for the built-in rules.

    Returns:
        At most 100 errors, in file order.
    """
    if xsd is not None:
        found = xsd_errors(path, xsd)
        return [FileError(e.message, e.line, e.column) for e in found[:MAX_ERRORS]]
    return _builtin_errors(path)[:MAX_ERRORS]
