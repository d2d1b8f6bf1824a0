"""The config file: strict model, clear errors, the shipped example stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import Config, ConfigError, load_config
from tests.conftest import ROOT


def test_config_example_validates() -> None:
    """config.example.toml loads without error and sets what it says."""
    config = load_config(ROOT / "config.example.toml")
    assert config.declarant.id_client_emetteur == "12ABC345"
    assert config.build.columns["Nom de naissance"] == "nomNaissance"
    assert config.agent.data_dir == (ROOT / "data").resolve()
    assert config.schedule.deposit == "0 2 * * *"
    assert config.schedule.deadline_days == 15
    assert config.retention.imported_days == 400


def test_config_retention_below_legal_horizon_names_key(tmp_path: Path) -> None:
    """A retention shorter than three months is refused, naming the key and why."""
    path = tmp_path / "bad.toml"
    path.write_text("[retention]\nevents_days = 30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"retention\.events_days: .*at least 92 days"):
        load_config(path)


def test_config_schedule_rejects_bad_cron(tmp_path: Path) -> None:
    """A schedule that is not a cron expression names the key."""
    path = tmp_path / "bad.toml"
    path.write_text('[schedule]\ndeposit = "every night"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"schedule\.deposit: .*not a cron expression"):
        load_config(path)


def test_config_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    """An unknown key is an error naming the dotted key and the file."""
    path = tmp_path / "bad.toml"
    path.write_text('[portal]\nbase_url = "http://x"\npasword = "oops"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert "portal.pasword: unknown key" in str(info.value)


def test_config_none_gives_defaults() -> None:
    """No config file means the embedded defaults."""
    assert load_config(None) == Config()


def test_config_invalid_toml(tmp_path: Path) -> None:
    """A TOML syntax error is reported with the file name."""
    path = tmp_path / "broken.toml"
    path.write_text("[agent\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
