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


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://portal.example.org", True),
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765/x", True),
        ("http://[::1]:8765", True),
        ("http://portal.example.org", False),
        ("http://192.168.1.20:8765", False),
    ],
)
def test_config_plain_http_only_to_this_machine(tmp_path: Path, url: str, *, allowed: bool) -> None:
    """Plain http:// to another host is refused, saying why and how to allow it (issue 11)."""
    path = tmp_path / "portal.toml"
    path.write_text(f'[portal]\nbase_url = "{url}"\n', encoding="utf-8")
    if allowed:
        assert load_config(path).portal.base_url == url
        return
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "in clear" in str(info.value)
    assert "allow_insecure_http = true" in str(info.value)
    path.write_text(f'[portal]\nbase_url = "{url}"\nallow_insecure_http = true\n', encoding="utf-8")
    assert load_config(path).portal.allow_insecure_http is True
