"""open_store and [store] url: which store a config opens, and clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import AgentSettings, Config, ConfigError, StoreSettings, load_config
from agent.paths import AgentPaths
from agent.store import DB_NAME, PostgresStore, StoreError, open_store


def _config(tmp_path: Path, url: str | None) -> Config:
    return Config(agent=AgentSettings(data_dir=tmp_path / "data"), store=StoreSettings(url=url))


def test_default_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    """No url: agent.sqlite3 in the data dir, created owner-only and migrated."""
    with open_store(_config(tmp_path, None)) as store:
        assert store.migrations()
    db = tmp_path / "data" / DB_NAME
    assert db.stat().st_mode & 0o777 == 0o600
    assert AgentPaths.from_config(_config(tmp_path, None)).db == db


def test_sqlite_url_names_the_file(tmp_path: Path) -> None:
    """sqlite:///ABS: that file, which every caller of AgentPaths.db then uses."""
    target = tmp_path / "elsewhere" / "state.sqlite3"
    config = _config(tmp_path, f"sqlite://{target}")
    with open_store(config) as store:
        store.add_event("hello", "written through open_store")
    assert target.is_file()
    assert not (tmp_path / "data" / DB_NAME).exists()
    assert AgentPaths.from_config(config).db == target


def test_relative_sqlite_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="expected sqlite:///ABSOLUTE/PATH"):
        open_store(_config(tmp_path, "sqlite://state.sqlite3"))


def test_unknown_scheme_is_a_config_error(tmp_path: Path) -> None:
    """The config file's error names the key and the accepted schemes, not the password."""
    path = tmp_path / "config.toml"
    path.write_text('[store]\nurl = "mysql://agent:s3cret@db/agent"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"store\.url: .*sqlite:// or postgresql://") as info:
        load_config(path)
    assert "s3cret" not in str(info.value)


def test_postgresql_url_opens_the_postgresql_store(tmp_path: Path, pg_url: str) -> None:
    config = _config(tmp_path, pg_url)
    with pytest.raises(StoreError, match="names a postgresql store, not a SQLite file"):
        _ = AgentPaths.from_config(config).db
    with open_store(config) as store:
        assert isinstance(store, PostgresStore)
        store.add_event("hello", "written through open_store")
        assert [e.kind for e in store.events()] == ["hello"]
    assert not (tmp_path / "data" / DB_NAME).exists()


@pytest.mark.parametrize(
    "url",
    ["postgresql://agent:s3cret@db.example/agent", "postgresql://agent@db/agent?password=s3cret"],
)
def test_a_password_in_the_url_is_refused_and_never_shown(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError, match=r"holds a password: .*~/\.pgpass") as info:
        open_store(_config(tmp_path, url))
    assert "s3cret" not in str(info.value)


def test_unreachable_server_names_the_url_without_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password comes from libpq's PGPASSWORD and never appears in the error."""
    monkeypatch.setenv("PGPASSWORD", "s3cret-from-env")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "2")
    url = f"postgresql://agent@/agent?host={tmp_path}&port=1"  # no server on that socket
    with pytest.raises(StoreError, match="cannot connect to the store") as info:
        open_store(_config(tmp_path, url))
    assert "s3cret" not in str(info.value)
    assert f"host={tmp_path}" in str(info.value)
