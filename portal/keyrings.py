"""Which keyring holds the portal password: ``[credentials]`` of the config.

Three choices, the same for every command and for the service, so what ``credentials set``
stores is what ``accrochage run`` reads:

- ``file``: the encrypted file of :mod:`portal.keyring_file` at ``keyring_file`` (default
  ``<data_dir>/keyring.cfg``), unlocked by the key in ``key_file`` (owner-only), or by the
  systemd credential ``keyring-key`` when the service manager hands one over. No environment
  variable is needed, and nothing ever prompts.
- ``auto`` (default): keyring's own choice (``PYTHON_KEYRING_BACKEND``, keyringrc.cfg, else
  by priority), refused when that choice cannot serve an unattended service: a backend that
  asks for a key on the terminal, an unencrypted file, or a desktop session's keyring.
- ``system``: keyring's own choice, accepted as it is (a desktop where the agent runs in the
  user's session). Backends that prompt on the terminal are still refused.

Errors say exactly what is missing and which config key to set; they never carry a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from keyring.backend import KeyringBackend
from pydantic import BaseModel, ConfigDict, Field

from portal.keyring_file import systemd_key_file

Backend = Literal["auto", "file", "system"]
KEYRING_FILE_NAME = "keyring.cfg"


class CredentialSettings(BaseModel):
    """``[credentials]``: where the portal password is kept (never the password itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Backend = Field(
        default="auto",
        description="file (encrypted file, for servers), system (desktop keyring) or auto.",
    )
    keyring_file: Path | None = Field(
        default=None, description="file backend: the encrypted file (default data_dir/keyring.cfg)."
    )
    key_file: Path | None = Field(
        default=None, description="file backend: an owner-only file holding the file's key."
    )


#: Backend classes (module prefix, class name) and why an unattended service cannot use them.
_PROMPTING = "asks for its key on the terminal, which a service cannot answer"
_SESSION = "lives in a desktop session (D-Bus), which a service started at boot does not have"
_PLAINTEXT = "keeps the password unencrypted"
_REFUSED: tuple[tuple[str, str, str, bool], ...] = (
    # (module prefix, class name or "", reason, refused even with backend = "system")
    ("keyrings.cryptfile.cryptfile", "CryptFileKeyring", _PROMPTING, True),
    ("keyrings.cryptfile.file", "EncryptedKeyring", _PROMPTING, True),
    ("keyrings.alt.file", "EncryptedKeyring", _PROMPTING, True),
    ("keyrings.cryptfile.file", "PlaintextKeyring", _PLAINTEXT, True),
    ("keyrings.alt.file", "PlaintextKeyring", _PLAINTEXT, True),
    ("keyring.backends.SecretService", "", _SESSION, False),
    ("keyring.backends.libsecret", "", _SESSION, False),
    ("keyring.backends.kwallet", "", _SESSION, False),
)


def class_name(backend: object) -> str:
    """``module.Class`` of a backend (no secrets)."""
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def members(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backends a keyring choice is made of (keyring chains several by priority)."""
    chained = getattr(backend, "backends", None)
    return list(chained) if isinstance(chained, list | tuple) else [backend]


def unattended_problem(backend: KeyringBackend, *, strict: bool) -> str | None:
    """Why ``backend`` cannot serve ``accrochage run`` unattended, or None when it can.

    Args:
        backend: keyring's choice (a chain of backends is checked member by member).
        strict: also refuse a desktop session's keyring (``auto``, before storing).
    """
    for member in members(backend):
        module, name = type(member).__module__, type(member).__name__
        for prefix, refused_name, reason, always in _REFUSED:
            if module.startswith(prefix) and refused_name in {"", name} and (always or strict):
                return f"{class_name(member)} {reason}"
    return None


def effective_key_file(settings: CredentialSettings) -> Path | None:
    """The key file the file backend reads: systemd's credential first, else ``key_file``."""
    return systemd_key_file() or settings.key_file


def keyring_file_path(settings: CredentialSettings, data_dir: Path) -> Path:
    """The encrypted file of the file backend."""
    return settings.keyring_file or data_dir / KEYRING_FILE_NAME
