"""Credentials: keyring access with clear errors, and the encrypted file's key sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import InitError

from portal import credentials
from portal.credentials import SERVICE, CredentialsError
from portal.keyring_file import key_from_environment, read_key_file


class MemoryKeyring(KeyringBackend):
    """An in-memory backend for the logic tests (the real file backend is in tests/contract)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install the in-memory backend for one test."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core.init_backend()


def test_credentials_round_trip_under_service_name(memory_keyring: MemoryKeyring) -> None:
    """The password is stored under service accrochage-agent and the portal identifiant."""
    credentials.set_password("alice", "s3cret")
    assert memory_keyring.items == {(SERVICE, "alice"): "s3cret"}
    assert credentials.password_provider("alice")() == "s3cret"


def test_credentials_missing_password_says_how_to_set_it(memory_keyring: MemoryKeyring) -> None:
    """No stored password: the error names the user, the service and the command."""
    with pytest.raises(CredentialsError, match=r"'alice'.*accrochage credentials set"):
        credentials.get_password("alice")


def test_credentials_need_a_username(memory_keyring: MemoryKeyring) -> None:
    """Without [portal] username nothing is read or written."""
    with pytest.raises(CredentialsError, match=r"portal\.username"):
        credentials.get_password(None)
    with pytest.raises(CredentialsError, match="empty"):
        credentials.set_password("alice", "")
    assert memory_keyring.items == {}


def test_credentials_fail_backend_points_at_readme() -> None:
    """keyring's "no backend" placeholder becomes a clear error pointing at the README."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(CredentialsError, match="README, section Credentials"):
            credentials.get_password("alice")
    finally:
        keyring.core.init_backend()


def test_keyring_key_file_must_be_owner_only(tmp_path: Path) -> None:
    """The encrypted file's key is read from an owner-only file only."""
    key = tmp_path / "key"
    key.write_text("the-key\nignored second line\n")
    key.chmod(0o600)
    assert read_key_file(key) == "the-key"
    key.chmod(0o640)
    with pytest.raises(InitError, match="chmod 600"):
        read_key_file(key)
    with pytest.raises(InitError, match="cannot read"):
        read_key_file(tmp_path / "missing")


def test_keyring_key_sources_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key file first, then a systemd credential, then the variable, else None."""
    for name in ("KEYRING_CRYPTFILE_PASSWORD_FILE", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("KEYRING_CRYPTFILE_PASSWORD", raising=False)
    assert key_from_environment() is None
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD", "from-env")
    assert key_from_environment() == "from-env"
    (tmp_path / "keyring-key").write_text("from-systemd")
    (tmp_path / "keyring-key").chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert key_from_environment() == "from-systemd"
    (tmp_path / "file").write_text("from-file")
    (tmp_path / "file").chmod(0o400)
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD_FILE", str(tmp_path / "file"))
    assert key_from_environment() == "from-file"
