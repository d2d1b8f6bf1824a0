"""Saying where the agent is: config file, data directory, version, keyring.

Shown by ``status``, ``doctor`` and the ``run`` start-up line, so an operator always knows
which installation answered. Read-only commands call :func:`require_store`: they never create
a store, and without one they say which data directory and which config they looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from agent.config import ENV_CONFIG, Config
from agent.keyrings import keyring_choice
from agent.paths import AgentPaths
from agent.store import store_exists

DISTRIBUTION = "accrochage-agent"


class NoAgentData(Exception):
    """The data directory holds no store: nothing to show, and nothing is created."""


def agent_version() -> str:
    """The installed version of the agent."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def config_label(config_path: Path | None) -> str:
    """The config file in use, or "built-in defaults"."""
    return str(config_path) if config_path is not None else "built-in defaults"


@dataclass(frozen=True)
class Whereabouts:
    """Which installation this is."""

    config_file: Path | None
    data_dir: Path
    version: str
    keyring: str

    def line(self) -> str:
        """One line for humans."""
        return (
            f"config {config_label(self.config_file)}, data dir {self.data_dir}, "
            f"version {self.version}, keyring {self.keyring}"
        )

    def to_json(self) -> dict[str, str | None]:
        """The same for scripts."""
        return {
            "config_file": str(self.config_file) if self.config_file else None,
            "data_dir": str(self.data_dir),
            "version": self.version,
            "keyring": self.keyring,
        }


def whereabouts(config_path: Path | None, config: Config) -> Whereabouts:
    """Where this installation is (reads the keyring's choice, never a password)."""
    return Whereabouts(
        config_file=config_path,
        data_dir=config.agent.data_dir,
        version=agent_version(),
        keyring=keyring_choice(config).describe(),
    )


def require_store(config_path: Path | None, config: Config) -> None:
    """Check that the store exists.

    Raises:
        NoAgentData: there is no store in the data directory; the message names the data
            directory and the config, and what to do.
    """
    paths = AgentPaths.from_config(config)
    if store_exists(config):
        return
    if config_path is None:
        hint = f"pass --config or set {ENV_CONFIG}"
    else:
        hint = "check [agent] data_dir, or run `accrochage deposit now` to start"
    raise NoAgentData(
        f"no agent data at {paths.data_dir} (config: {config_label(config_path)}): {hint}"
    )
