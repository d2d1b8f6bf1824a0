"""The CDC schema versions the builders write: one registry entry per version.

Adding a version is one entry in ``VERSIONS`` (oldest first) plus, for the fields it adds, rows
of ``builders.cdc.fields.FIELDS`` whose ``since`` names it. Nothing else compares version
strings: code asks the registry (``spec(version).has_action``, ``since(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: A schema version's name, as the CDC spells it (e.g. ``1.1.5``); a key of ``VERSIONS``.
SchemaVersion = str


@dataclass(frozen=True)
class VersionSpec:
    """What one CDC schema version allows."""

    name: str
    #: The flux carries ``cpf:action`` (CREATION/SUPPRESSION); without it, CREATION only.
    has_action: bool
    #: The holder identification branches, in the order a row filling several tries them.
    branch_order: tuple[str, ...]


#: Every supported version, oldest first (a field's ``since`` counts in this order).
VERSIONS: Final[dict[str, VersionSpec]] = {
    "1.1.2": VersionSpec(
        "1.1.2",
        has_action=False,
        branch_order=("dossierFormation", "titulaire", "identifiantNational"),
    ),
    "1.1.5": VersionSpec(
        "1.1.5",
        has_action=True,
        branch_order=("identifiantNational", "dossierFormation", "titulaire"),
    ),
}

#: The version written when the config says nothing.
DEFAULT_VERSION: Final = "1.1.5"


def spec(version: SchemaVersion) -> VersionSpec:
    """The registry entry of ``version``.

    Raises:
        ValueError: ``version`` is not a supported schema version.
    """
    found = VERSIONS.get(version)
    if found is None:
        raise ValueError(f"unknown CDC schema version {version!r} (expected one of {names()})")
    return found


def names() -> str:
    """The supported versions, for messages: ``1.1.2, 1.1.5``."""
    return ", ".join(VERSIONS)


def since(version: SchemaVersion, first: SchemaVersion | None) -> bool:
    """Whether something added in ``first`` (None: always there) exists in ``version``."""
    if first is None:
        return True
    order = list(VERSIONS)
    return order.index(version) >= order.index(first)


def suppression_version() -> SchemaVersion:
    """The version SUPPRESSION files are written in: the default, or the newest with action."""
    return action_version(DEFAULT_VERSION)


def action_version(preferred: SchemaVersion) -> SchemaVersion:
    """``preferred`` if it has ``cpf:action``, else the newest version that has it.

    Raises:
        ValueError: no registered version has ``cpf:action``.
    """
    if spec(preferred).has_action:
        return preferred
    for entry in reversed(VERSIONS.values()):
        if entry.has_action:
            return entry.name
    raise ValueError("no CDC schema version has cpf:action")
