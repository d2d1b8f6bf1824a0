"""Stage 1 of processing: the XML/XSD control of a received file.

With an official XSD (``--xsd PATH``, or else the newest one imported with ``accrochage schema
import``, found by ``builders.cdc.schemas.list_schemas`` under ``<agent data_dir>/schemas/``) the
file is validated against it with ``builders.cdc.xsd.xsd_errors`` (streaming, every error with
its line), as the CDC does. Without one, the project's own checks stand in for it
(``builders.cdc.check.check_flux(path, xsd=None)``): syntax plus the built-in rules' errors
(warnings, which the CDC accepts, are ignored). The rules are stricter than the CDC's XSD in
places, so give the replica an XSD for a faithful control. Errors become ``erreurs/erreur``
entries of type ``XSD`` (the only type the CDC is known to use); libxml2 writes its messages in
English, where the CDC's Java validator writes French ones.
"""

from __future__ import annotations

from pathlib import Path

from builders.cdc.check import check_flux
from builders.cdc.schemas import list_schemas
from builders.cdc.xsd import xsd_errors
from portal.sandbox.rapport import MAX_ERRORS, FileError


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def find_xsd(explicit: Path | None, agent_data_dir: Path | None) -> Path | None:
    """The XSD to control files with: the explicit one, else the newest imported one.

    Args:
        explicit: ``--xsd`` / the ``xsd`` setting.
        agent_data_dir: The agent's data folder, where ``accrochage schema import`` stores XSDs.

    Returns:
        An XSD path, or None to use the built-in rules.
    """
    if explicit is not None:
        return explicit
    if agent_data_dir is None:
        return None
    imported = list_schemas(agent_data_dir)
    if not imported:
        return None
    return max(imported, key=lambda schema: _version_key(schema.version)).path


def control_errors(path: Path, xsd: Path | None) -> list[FileError]:
    """The file-level errors of a received, well-formed flux (empty when it passes).

    Args:
        path: The stored file.
        xsd: The official XSD, or None for the project's built-in checks.

    Returns:
        At most 100 errors, in file order.
    """
    if xsd is not None:
        return [FileError(e.message, e.line, e.column) for e in xsd_errors(path, xsd)][:MAX_ERRORS]
    errors = []
    findings = [finding for finding in check_flux(path, xsd=None) if finding.is_error]
    for finding in findings[:MAX_ERRORS]:
        field = f"{finding.field}: " if finding.field else ""
        value = f" (valeur '{finding.value}')" if finding.value else ""
        errors.append(FileError(f"{field}{finding.message}{value}", finding.line, finding.column))
    return errors
