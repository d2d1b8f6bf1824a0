"""The simulated holder registry (the replica's stand-in for the CDC's nirisation).

The registry is a JSON file in the data directory (``registry.json``), written with the seed
below on first start and read at each processing run, so an operator can edit it. Every holder
matches exactly one person, except those whose birth name (``nomNaissance``, or
``nomTitulaire`` for a ``dossierFormation``), compared without accents or case, is listed:

- ``not_found``: "Aucun titulaire ne correspond aux critères obligatoires";
- ``not_found_enriched``: "... enrichis du jour et du mois de naissance";
- ``not_found_reconciliation``: "... critères de reconciliation";
- ``several``: "Plusieurs titulaires ont été identifiés".
"""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from builders.cdc import messages
from portal.sandbox.files import write_private

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
SEED: dict[str, list[str]] = {
    "not_found": ["INCONNU"],
    "not_found_enriched": ["INCONNU-DATE"],
    "not_found_reconciliation": ["INCONNU-COMMUNE"],
    "several": ["HOMONYME"],
}
_MESSAGES = {
    "not_found": messages.HOLDER_NOT_FOUND,
    "not_found_enriched": messages.HOLDER_NOT_FOUND_ENRICHED,
    "not_found_reconciliation": messages.HOLDER_NOT_FOUND_RECONCILIATION,
    "several": messages.SEVERAL_HOLDERS,
}


def fold(name: str) -> str:
    """Upper case without accents or surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().upper()


@dataclass(frozen=True)
class Registry:
    """Birth names that do not identify exactly one holder, with the CDC message for each."""

    outcomes: dict[str, str]

    @classmethod
    def load(cls, data_dir: Path) -> Registry:
        """Read ``registry.json``, writing the seed first when it is missing.

        Raises:
            ValueError: the file is not a JSON object of lists of names.
        """
        path = data_dir / REGISTRY_FILE
        if not path.exists():
            write_private(path, (json.dumps(SEED, indent=2, ensure_ascii=False) + "\n").encode())
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a JSON object")  # noqa: TRY004 - bad file content
        outcomes: dict[str, str] = {}
        for key, message in _MESSAGES.items():
            names = raw.get(key, [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{path}: {key} must be a list of names")
            outcomes.update({fold(name): message for name in names})
        return cls(outcomes)

    def match(self, birth_name: str | None) -> str | None:
        """The CDC message for a holder who does not match exactly once, else None."""
        if not birth_name:
            return messages.HOLDER_NOT_FOUND
        return self.outcomes.get(fold(birth_name))
