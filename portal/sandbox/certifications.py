"""The replica's list of certifications (its stand-in for the France compétences registers).

Rule (documented in the README): a certification is known when its ``type`` is ``RNCP`` or
``RS`` and its ``code`` is that prefix followed by digits (``RNCP34827``, ``RS5875``), unless the
code is listed as withdrawn in ``certifications.json`` in the data directory (seeded with
``RNCP99999`` and ``RS9999`` on first start). Anything else (``1710`` instead of ``RS1710``, an
RNCP code under type RS, a "Diplôme d'Etablissement") gets the CDC's certification-KO message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from portal.sandbox.files import write_private

CERTIFICATIONS_FILE = "certifications.json"
SEED: dict[str, list[str]] = {"withdrawn": ["RNCP99999", "RS9999"]}
_CODE = {"RNCP": re.compile(r"RNCP\d{1,6}"), "RS": re.compile(r"RS\d{1,6}")}


@dataclass(frozen=True)
class Certifications:
    """Which (type, code) pairs the replica accepts."""

    withdrawn: frozenset[str]

    @classmethod
    def load(cls, data_dir: Path) -> Certifications:
        """Read ``certifications.json``, writing the seed first when it is missing.

        Raises:
            ValueError: the file is not a JSON object with a list ``withdrawn``.
        """
        path = data_dir / CERTIFICATIONS_FILE
        if not path.exists():
            write_private(path, (json.dumps(SEED, indent=2) + "\n").encode())
        raw = json.loads(path.read_text(encoding="utf-8"))
        withdrawn = raw.get("withdrawn", []) if isinstance(raw, dict) else None
        if not isinstance(withdrawn, list) or not all(isinstance(c, str) for c in withdrawn):
            raise ValueError(f'{path}: expected {{"withdrawn": [codes...]}}')
        return cls(frozenset(code.strip().upper() for code in withdrawn))

    def accepts(self, type_: str, code: str) -> bool:
        """Whether the certification exists and matches its type."""
        pattern = _CODE.get(type_.strip())
        code = code.strip()
        return bool(pattern and pattern.fullmatch(code) and code.upper() not in self.withdrawn)
