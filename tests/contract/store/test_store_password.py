"""The PostgreSQL store's password lives in the agent's keyring, never in the config."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from click.testing import CliRunner

import agent.store.password as password_module
from agent.cli.main import cli
from agent.config import Config, load_config
from agent.lock import WORK
from agent.store import StoreError, open_store
from agent.store.password import set_store_password, store_password
from agent.store_lock import agent_lock
from tests.pgcluster import PgCluster

PASSWORD = "S3cret-Store-pw"
_ROLES = itertools.count()


def _role_with_password(cluster: PgCluster) -> str:
    """A login role whose every connection must give its password (scram); its URL."""
    role = f"keyed_{os.getpid()}_{next(_ROLES)}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {role} OWNER {role} TEMPLATE template0")
        hba = Path(str(conn.execute("SHOW hba_file").fetchone()[0]))  # type: ignore[index]
        rules = f"local all {role} scram-sha-256\nhost all {role} 127.0.0.1/32 scram-sha-256\n"
        hba.write_text(rules + hba.read_text(encoding="utf-8"), encoding="utf-8")
        conn.execute("SELECT pg_reload_conf()")
    return f"postgresql://{role}@/{role}?host={quote(str(cluster.folder))}&port={cluster.port}"


def test_store_password_from_the_keyring(
    pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused without a password; `credentials set --store` keeps it in the encrypted
    keyring file, and the store and its advisory lock connect with it."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    url = _role_with_password(pg_cluster)
    config_file = tmp_path / "accrochage.toml"
    config_file.write_text(
        f'[agent]\ndata_dir = "{tmp_path / "data"}"\n[store]\nurl = "{url}"\n'
        '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\n',
        encoding="utf-8",
    )
    config = load_config(config_file)
    with pytest.raises(StoreError, match="password"):
        open_store(config).close()

    stored = CliRunner().invoke(
        cli, ["--config", str(config_file), "credentials", "set", "--store"], input=PASSWORD
    )
    assert stored.exit_code == 0, stored.output
    assert "read back the way the service reads it" in stored.output
    assert PASSWORD not in stored.output
    assert PASSWORD not in config_file.read_text(encoding="utf-8")

    with open_store(config) as store:
        store.add_event("opened", "with the keyring's password")
        assert [e.kind for e in store.events()] == ["opened"]
    with agent_lock(config, WORK, holder="test"):
        pass
    keyring_files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert keyring_files and all(PASSWORD.encode() not in p.read_bytes() for p in keyring_files)


def test_store_password_refused_for_a_sqlite_store(tmp_path: Path) -> None:
    """`credentials set --store` with the default SQLite store says there is nothing to keep."""
    config_file = tmp_path / "accrochage.toml"
    config_file.write_text(f'[agent]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(config_file), "credentials", "set", "--store"], input="x\n"
    )
    assert result.exit_code != 0
    assert "a SQLite store has no password" in result.output


def test_store_password_read_once_per_state_of_the_keyring_file(tmp_path: Path) -> None:
    """Reads of an unchanged keyring file are not decrypted again; a new password is seen."""
    config_file = tmp_path / "accrochage.toml"
    url = "postgresql://role@db.example.org:5432/accrochage"
    config_file.write_text(
        f'[agent]\ndata_dir = "{tmp_path / "data"}"\n[store]\nurl = "{url}"\n'
        '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\n',
        encoding="utf-8",
    )
    config = load_config(config_file)
    assert store_password(config, url) is None  # no keyring file yet
    set_store_password(config, url, "first")
    reads: list[str] = []
    real = password_module._read

    def counted(config: Config, url: str) -> str | None:
        reads.append(url)
        return real(config, url)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(password_module, "_read", counted)
        assert [store_password(config, url) for _ in range(3)] == ["first"] * 3
        assert len(reads) <= 1
        set_store_password(config, url, "second, longer")
        assert store_password(config, url) == "second, longer"
