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
    assert config.build.columns["Nom de jeune fille"] == "nomNaissance"
    assert config.build.defaults["donneeCertifiee"] is True
    assert config.build.values["modaliteAcces"]["APP"] == "FORMATION_INITIALE_APPRENTISSAGE"
    assert config.build.all_rows_admitted is False
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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "http://127.0.0.1:8080/espace-prive",
            "[portal] base_url 'http://127.0.0.1:8080/espace-prive' is a page's address, not the "
            "portal's: write 'http://127.0.0.1:8080'",
        ),
        (
            "certificateurs.moncompteformation.gouv.fr/espace-prive/",
            "[portal] base_url 'certificateurs.moncompteformation.gouv.fr/espace-prive/' has no "
            "scheme: write 'https://certificateurs.moncompteformation.gouv.fr'",
        ),
        ("localhost:8080", "has no scheme: write 'https://localhost:8080'"),
        ("ftp://portal.example", "has scheme 'ftp': write 'https://portal.example'"),
        ("https://portal.example/?next=x", "write 'https://portal.example'"),
        ("https://portal example", "must be an address such as"),
    ],
)
def test_config_base_url_mistakes_name_the_key_and_the_fix(
    tmp_path: Path, value: str, expected: str
) -> None:
    """The usual base_url mistakes are refused with the value to write instead."""
    path = tmp_path / "bad.toml"
    path.write_text(f'[portal]\nbase_url = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert "Value error" not in str(info.value)


@pytest.mark.parametrize(
    "value", ["https://portal.example", "http://127.0.0.1:8080/", "https://proxy.example/cdc"]
)
def test_config_base_url_accepts_portal_roots(tmp_path: Path, value: str) -> None:
    """A root address, or one under a proxy prefix, is accepted as given."""
    path = tmp_path / "ok.toml"
    path.write_text(f'[portal]\nbase_url = "{value}"\n', encoding="utf-8")
    assert load_config(path).portal.base_url == value


def test_config_login_path_in_base_url_follows_the_profile(tmp_path: Path) -> None:
    """The login path recognised in base_url is the profile's, not a fixed string."""
    path = tmp_path / "bad.toml"
    path.write_text(
        '[portal]\nbase_url = "https://p.example/connexion/"\n'
        '[portal.profile]\nlogin_path = "/connexion"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"write 'https://p\.example'"):
        load_config(path)


def test_config_unknown_timezone(tmp_path: Path) -> None:
    """A time zone that does not exist is refused at load time, with an example."""
    path = tmp_path / "bad.toml"
    path.write_text('[agent]\ntimezone = "Europe/Pariss"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"agent\.timezone: unknown time zone 'Europe/Pariss'"):
        load_config(path)


def test_config_credentials_paths_relative_to_config(tmp_path: Path) -> None:
    """[credentials] files are resolved against the config file's folder."""
    path = tmp_path / "etc" / "accrochage.toml"
    path.parent.mkdir()
    path.write_text(
        '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\nkeyring_file = "k.cfg"\n',
        encoding="utf-8",
    )
    credentials = load_config(path).credentials
    assert credentials.backend == "file"
    assert credentials.key_file == (tmp_path / "etc" / "keyring-key").resolve()
    assert credentials.keyring_file == (tmp_path / "etc" / "k.cfg").resolve()


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
