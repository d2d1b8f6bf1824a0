"""An encrypted-file keyring for headless servers: keyrings.cryptfile, unlocked without a prompt.

``keyrings.cryptfile`` (Argon2id key derivation, AES-GCM) asks for its key with ``getpass``
unless the program sets it, and its released version (1.3.9) reads no environment variable.
This backend is that same class and file format, taking the key and the file from the
environment instead, with the names the next cryptfile release (1.4.1) uses:

- ``KEYRING_CRYPTFILE_PATH``: the encrypted file (default: keyring's data folder,
  ``cryptfile_pass.cfg``);
- ``KEYRING_CRYPTFILE_PASSWORD_FILE``: a file holding the key, which must be owner-only
  (0600 or stricter), e.g. a systemd credential; or
  ``$CREDENTIALS_DIRECTORY/keyring-key`` when systemd's ``LoadCredential=keyring-key:...``
  provides one;
- ``KEYRING_CRYPTFILE_PASSWORD``: the key itself (a service manager's secret environment).

Select it with ``PYTHON_KEYRING_BACKEND=portal.keyring_file.AgentCryptFileKeyring`` (or
``default-keyring`` in keyringrc.cfg). With no key anywhere it prompts on a terminal and
fails clearly otherwise, rather than hanging a service on a prompt.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from keyring.errors import InitError
from keyrings.cryptfile.cryptfile import CryptFileKeyring

ENV_PATH = "KEYRING_CRYPTFILE_PATH"
ENV_KEY = "KEYRING_CRYPTFILE_PASSWORD"
ENV_KEY_FILE = "KEYRING_CRYPTFILE_PASSWORD_FILE"
SYSTEMD_CREDENTIAL = "keyring-key"


def read_key_file(path: Path) -> str:
    """The key stored in ``path`` (first line), refusing files others can read.

    Raises:
        InitError: the file is missing, empty or readable by group or others.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InitError(f"cannot read the keyring key file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InitError(f"the keyring key file {path} must be owner-only: chmod 600 {path}")
    key = text.splitlines()[0].strip() if text.strip() else ""
    if not key:
        raise InitError(f"the keyring key file {path} is empty")
    return key


def key_from_environment() -> str | None:
    """The keyring key from the environment (see the module docstring), or None."""
    key_file = os.environ.get(ENV_KEY_FILE)
    if key_file:
        return read_key_file(Path(key_file))
    credentials_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials_dir and (Path(credentials_dir) / SYSTEMD_CREDENTIAL).is_file():
        return read_key_file(Path(credentials_dir) / SYSTEMD_CREDENTIAL)
    return os.environ.get(ENV_KEY) or None


class AgentCryptFileKeyring(CryptFileKeyring):  # type: ignore[misc]
    """keyrings.cryptfile's encrypted file, with its key and path from the environment."""

    # Only used when selected explicitly, never picked by priority.
    priority = 0.1

    @property
    def file_path(self) -> str:
        """The encrypted file: ``$KEYRING_CRYPTFILE_PATH`` or cryptfile's default."""
        configured = os.environ.get(ENV_PATH)
        if configured:
            return configured
        return str(super().file_path)

    def _unlock(self) -> None:
        self._load_key()
        super()._unlock()

    def _init_file(self) -> None:
        self._load_key()
        super()._init_file()

    def _load_key(self) -> None:
        current: str | None = getattr(self, "_keyring_key", None)
        if current is not None:
            return
        key = key_from_environment()
        if key is not None:
            self._keyring_key = key
        elif not sys.stdin.isatty():
            raise InitError(
                "the encrypted keyring needs its key: set KEYRING_CRYPTFILE_PASSWORD_FILE to an "
                "owner-only file holding it"
            )
