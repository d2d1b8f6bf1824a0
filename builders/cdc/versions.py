"""The CDC schema versions the builders write."""

from __future__ import annotations

from typing import Literal

SchemaVersion = Literal["1.1.5", "1.1.2"]
