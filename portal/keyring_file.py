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

The agent builds it from ``[credentials] backend = "file"`` (:mod:`portal.credentials`),
with the file and the key given explicitly; it can also be selected with
``PYTHON_KEYRING_BACKEND=portal.keyring_file.AgentCryptFileKeyring`` (or ``default-keyring``
in keyringrc.cfg) and the variables above. With no key anywhere it fails with an error naming
what to set: it never prompts, on a terminal or not.
"""

from __future__ import annotations

import os
import stat
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


def systemd_key_file() -> Path | None:
    """The key handed over by systemd (``$CREDENTIALS_DIRECTORY/keyring-key``), if any."""
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / SYSTEMD_CREDENTIAL).is_file():
        return Path(directory) / SYSTEMD_CREDENTIAL
    return None


def key_from_environment() -> str | None:
    """The keyring key from the environment (see the module docstring), or None."""
    key_file = os.environ.get(ENV_KEY_FILE)
    if key_file:
        return read_key_file(Path(key_file))
    systemd = systemd_key_file()
    if systemd is not None:
        return read_key_file(systemd)
    return os.environ.get(ENV_KEY) or None


class AgentCryptFileKeyring(CryptFileKeyring):  # type: ignore[misc]
    """keyrings.cryptfile's encrypted file, with its key and path given or from the environment.

    Args:
        path: The encrypted file; default ``$KEYRING_CRYPTFILE_PATH``, else cryptfile's own.
        key: The file's key; default from the environment (:func:`key_from_environment`).
    """

    # Only used when selected explicitly: priority 0 keeps it out of keyring's own chain of
    # backends, where, without its key, it would fail a lookup meant for another backend.
    priority = 0

    def __init__(self, path: Path | None = None, key: str | None = None) -> None:
        super().__init__()
        self._path = path
        self._given_key = key

    @property
    def file_path(self) -> str:
        """The encrypted file: the one given, else ``$KEYRING_CRYPTFILE_PATH``, else default."""
        if self._path is not None:
            return str(self._path)
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
        key = self._given_key or key_from_environment()
        if key is None:  # never cryptfile's own prompt: a service cannot answer it
            raise InitError(
                "the encrypted keyring needs its key: set [credentials] key_file (or "
                f"{ENV_KEY_FILE}) to an owner-only file holding it"
            )
        self._keyring_key = key
