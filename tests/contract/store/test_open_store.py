"""open_store and [store] url: which store a config opens, and clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import AgentSettings, Config, ConfigError, StoreSettings, load_config
from agent.paths import AgentPaths
from agent.store import DB_NAME, StoreError, open_store


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


def test_postgresql_is_not_available_yet(tmp_path: Path) -> None:
    config = _config(tmp_path, "postgresql://agent@db/agent")
    with pytest.raises(StoreError, match="postgresql backend is not available"):
        open_store(config)
    with pytest.raises(StoreError, match="postgresql backend is not available"):
        _ = AgentPaths.from_config(config).db
