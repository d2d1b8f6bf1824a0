"""The keyring the agent's secrets live in (the portal's password, the store's)."""

from __future__ import annotations

from agent.config import Config
from portal.credentials import KeyringChoice


def keyring_choice(config: Config) -> KeyringChoice:
    """The keyring ``[credentials]`` names, for this config's data directory."""
    return KeyringChoice(config.credentials, config.agent.data_dir)
