"""The portal profile from the config: status labels merged with the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, load_config
from portal.base import DepositState
from portal.profile import DEFAULT_STATUS_LABELS, PortalProfile


def _load(tmp_path: Path, text: str) -> PortalProfile:
    path = tmp_path / "accrochage.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).portal.profile


def test_profile_configured_labels_add_to_defaults(tmp_path: Path) -> None:
    """A label added in [portal.profile.status_labels] keeps every default one."""
    profile = _load(
        tmp_path,
        '[portal.profile.status_labels]\n"Déposé   le fichier" = "processing"\n'
        '"Traité avec succès" = "processed_with_errors"\n',
    )
    assert profile.state_of("Déposé le fichier") is DepositState.PROCESSING
    assert profile.state_of("Rejeté") is DepositState.REJECTED
    assert profile.state_of("Traité avec succès") is DepositState.PROCESSED_WITH_ERRORS
    assert set(DEFAULT_STATUS_LABELS) < set(profile.status_labels)


def test_profile_can_replace_default_labels(tmp_path: Path) -> None:
    """keep_default_status_labels = false uses only the configured mapping."""
    profile = _load(
        tmp_path,
        "[portal.profile]\nkeep_default_status_labels = false\n"
        '[portal.profile.status_labels]\n"OK" = "processed"\n',
    )
    assert profile.status_labels == {"OK": DepositState.PROCESSED}
    assert profile.state_of("Rejeté") is None


def test_profile_defaults_without_config() -> None:
    """The shipped profile maps the documented labels and the replica's."""
    profile = PortalProfile()
    assert profile.state_of(" En cours\nde traitement ") is DepositState.PROCESSING
    assert profile.history_empty_text.startswith("Aucun fichier")


def test_profile_bad_state_names_the_key(tmp_path: Path) -> None:
    """An unknown state value is a config error naming the label's key."""
    with pytest.raises(ConfigError, match="status_labels"):
        _load(tmp_path, '[portal.profile.status_labels]\n"Foo" = "done"\n')
