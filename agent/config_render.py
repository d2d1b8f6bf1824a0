"""The effective configuration as TOML, for ``accrochage config show``.

Every key is printed with the value the agent uses (the file's, else the built-in default),
paths resolved. It prints nothing secret because the config cannot hold a secret: unknown keys
are refused, the password is in the keyring and the keyring's key in its own file (only the
file's path is a config value).
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.config import Config

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _table(path: list[str], table: dict[str, Any], lines: list[str]) -> None:
    lines.append(f"[{'.'.join(_key(part) for part in path)}]")
    nested = []
    for name, value in table.items():
        if isinstance(value, dict):
            nested.append((name, value))
        elif value is None:
            lines.append(f"# {_key(name)} is not set")
        else:
            lines.append(f"{_key(name)} = {_value(value)}")
    for name, value in nested:
        lines.append("")
        _table([*path, name], value, lines)


def effective_toml(config: Config, source: str) -> str:
    """The whole effective configuration as TOML, headed by where it came from."""
    lines = [f"# Effective configuration from {source}; keys it does not set show their default."]
    for section, table in config.model_dump(mode="json").items():
        lines.append("")
        _table([section], table, lines)
    return "\n".join(lines) + "\n"
