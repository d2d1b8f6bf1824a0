"""[credentials]: the keyring every command and the service open the same way, never prompting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from keyring.backends import SecretService
from keyrings.cryptfile.cryptfile import CryptFileKeyring

from portal.credentials import (
    CredentialsError,
    KeyringChoice,
    get_password,
    ready_to_store,
    set_password,
)
from portal.keyrings import CredentialSettings, unattended_problem


def _file_choice(tmp_path: Path, **settings: object) -> KeyringChoice:
    return KeyringChoice(
        CredentialSettings(backend="file", **settings),  # type: ignore[arg-type]
        tmp_path / "data",
    )


@pytest.fixture(autouse=True)
def _no_systemd_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests choose the key file themselves."""
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)


def test_file_backend_creates_its_key_and_reads_back(tmp_path: Path) -> None:
    """First set: an owner-only key is created, the password stored encrypted and read back."""
    key = tmp_path / "etc" / "keyring-key"
    choice = _file_choice(tmp_path, key_file=key)
    assert ready_to_store(choice) == key
    assert key.stat().st_mode & 0o777 == 0o600
    where = set_password("alice", "s3cret-pw", choice)
    assert where == f"encrypted file {tmp_path / 'data' / 'keyring.cfg'} (key {key})"
    stored = tmp_path / "data" / "keyring.cfg"
    assert b"s3cret-pw" not in stored.read_bytes()
    assert get_password("alice", _file_choice(tmp_path, key_file=key)) == "s3cret-pw"


def test_file_backend_never_replaces_the_key_of_an_existing_file(tmp_path: Path) -> None:
    """A missing key beside an existing encrypted file is an error, not a fresh key."""
    key = tmp_path / "keyring-key"
    set_password("alice", "pw", _file_choice(tmp_path, key_file=key))
    key.unlink()
    with pytest.raises(CredentialsError, match=r"cannot read the keyring key file .*key_file"):
        set_password("alice", "pw2", _file_choice(tmp_path, key_file=key))
    assert not key.exists()


def test_file_backend_without_key_says_which_key_to_set(tmp_path: Path) -> None:
    """No key_file and no systemd credential: the message names [credentials] key_file."""
    with pytest.raises(CredentialsError, match=r"needs its key: set \[credentials\] key_file"):
        get_password("alice", _file_choice(tmp_path))


def test_file_backend_wrong_key_says_so(tmp_path: Path) -> None:
    """A key other than the file's own is reported as such, never as "no password"."""
    key = tmp_path / "keyring-key"
    set_password("alice", "pw", _file_choice(tmp_path, key_file=key))
    key.write_text("another-key\n")
    with pytest.raises(CredentialsError, match="the key this file was made with"):
        get_password("alice", _file_choice(tmp_path, key_file=key))


def test_file_backend_uses_the_systemd_credential_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under systemd (LoadCredential=keyring-key:...) the handed-over key wins."""
    key = tmp_path / "keyring-key"
    set_password("alice", "pw", _file_choice(tmp_path, key_file=key))
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "keyring-key").write_text(key.read_text())
    (credentials / "keyring-key").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    choice = _file_choice(tmp_path, key_file=tmp_path / "unreadable-elsewhere")
    assert get_password("alice", choice) == "pw"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_file_backend_refuses_a_folder_the_caller_does_not_own(tmp_path: Path) -> None:
    """Root storing into the service user's folder would leave a file the service cannot read."""
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 65534, 65534)
    with pytest.raises(CredentialsError, match=r"belongs to .*: run this command as .*sudo -u"):
        ready_to_store(_file_choice(tmp_path, key_file=tmp_path / "key"))


def test_prompting_backends_are_refused_whatever_the_choice() -> None:
    """keyrings.cryptfile's own class would prompt for its key: never used."""
    for strict in (True, False):
        problem = unattended_problem(CryptFileKeyring(), strict=strict)
        assert problem is not None
        assert "asks for its key on the terminal" in problem


def test_desktop_keyring_refused_for_auto_storing_only() -> None:
    """A desktop session's keyring is refused before storing with auto, accepted otherwise."""
    desktop = SecretService.Keyring()
    problem = unattended_problem(desktop, strict=True)
    assert problem is not None
    assert "desktop session" in problem
    assert unattended_problem(desktop, strict=False) is None
