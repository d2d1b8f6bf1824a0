"""The portal password, kept in a keyring and nowhere else.

Service name ``accrochage-agent``, user name = the portal identifiant from the config. Which
keyring is ``[credentials]`` of the config (:mod:`portal.keyrings`): every command and the
service open it the same way, through :class:`KeyringChoice`. Errors name the backend and
say what to do, never the password. Nothing here ever prompts.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import InitError, KeyringError

from portal.errors import PortalPermanentError
from portal.keyring_file import AgentCryptFileKeyring, read_key_file
from portal.keyrings import (
    CredentialSettings,
    class_name,
    effective_key_file,
    keyring_file_path,
    members,
    unattended_problem,
)

log = logging.getLogger(__name__)

SERVICE = "accrochage-agent"
README_HINT = "see the README, section Credentials"
_FILE_HINT = 'set [credentials] backend = "file" and key_file'
# What backends raise when they cannot open: KeyringError, or ValueError/RuntimeError/
# EOFError when an encrypted file cannot be unlocked (wrong key, no key and no terminal).
_BACKEND_ERRORS = (KeyringError, ValueError, RuntimeError, EOFError, OSError)


class CredentialsError(PortalPermanentError):
    """No usable keyring, no stored password, or the keyring refused to open."""


def backend() -> KeyringBackend:
    """keyring's own choice of backend.

    Raises:
        CredentialsError: no usable backend on this machine.
    """
    try:
        active: KeyringBackend = keyring.get_keyring()
    # keyring raises a bare RuntimeError (or its subclasses) for a bad backend name.
    except (KeyringError, RuntimeError, ImportError, ValueError) as exc:
        raise CredentialsError(f"no usable keyring backend ({exc}); {README_HINT}") from exc
    if isinstance(active, fail.Keyring):
        raise CredentialsError(f"no usable keyring backend on this machine; {README_HINT}")
    return active


@dataclass(frozen=True)
class KeyringChoice:
    """The keyring ``[credentials]`` names, opened the same way by every command.

    Args:
        settings: The ``[credentials]`` section.
        data_dir: The agent's data directory (the file backend's default location).
    """

    settings: CredentialSettings = field(default_factory=CredentialSettings)
    data_dir: Path | None = None

    @property
    def keyring_file(self) -> Path | None:
        """The encrypted file of the file backend (None for the other backends)."""
        if self.settings.backend != "file":
            return None
        if self.settings.keyring_file is None and self.data_dir is None:
            return None
        return keyring_file_path(self.settings, self.data_dir or Path())

    def describe(self) -> str:
        """Where the password is, for messages (paths and class names only)."""
        if self.settings.backend == "file":
            key = effective_key_file(self.settings)
            return f"encrypted file {self.keyring_file} (key {key or 'not set'})"
        try:
            chosen = members(backend())
        except CredentialsError as exc:
            return f"no usable backend ({exc.message})"
        names = ", ".join(class_name(member) for member in chosen)
        return f"{names} (keyring's choice; [credentials] backend = {self.settings.backend!r})"

    def desktop_only(self) -> str | None:
        """Why a service started at boot could not read this backend, or None."""
        if self.settings.backend == "file":
            return None
        try:
            return unattended_problem(backend(), strict=True)
        except CredentialsError as exc:
            return exc.message

    def open(self, *, storing: bool = False) -> KeyringBackend:
        """The backend, ready to use without any prompt.

        Args:
            storing: about to store a password: with ``auto``, also refuse a desktop
                session's keyring, which the service could not read.

        Raises:
            CredentialsError: what is missing, naming the config key to set.
        """
        if self.settings.backend == "file":
            return self._open_file()
        active = backend()
        strict = storing and self.settings.backend == "auto"
        problem = unattended_problem(active, strict=strict)
        if problem:
            raise CredentialsError(
                f"keyring's own choice of backend cannot serve the agent: {problem}; "
                f"{_FILE_HINT} ({README_HINT})"
            )
        return active

    def _open_file(self) -> KeyringBackend:
        path = self.keyring_file
        if path is None:
            raise CredentialsError("[credentials] keyring_file is not set and no data_dir is known")
        key_file = effective_key_file(self.settings)
        if key_file is None:
            raise CredentialsError(
                f"the encrypted keyring {path} needs its key: set [credentials] key_file to an "
                "owner-only file holding it (or hand it over as the systemd credential "
                "keyring-key)"
            )
        try:
            key = read_key_file(key_file)
        except InitError as exc:
            raise CredentialsError(f"{exc} ([credentials] key_file)") from exc
        return AgentCryptFileKeyring(path=path, key=key)


def backend_name(choice: KeyringChoice | None = None) -> str:
    """A printable name of the backend in use (no secrets)."""
    return (choice or KeyringChoice()).describe()


def _require_username(username: str | None) -> str:
    if not username:
        raise CredentialsError("portal.username is not set in the config ([portal] username)")
    return username


def get_password(username: str | None, choice: KeyringChoice | None = None) -> str:
    """The stored portal password of ``username``.

    Raises:
        CredentialsError: no username, no backend, the keyring cannot be opened, or no
            password is stored.
    """
    user = _require_username(username)
    choice = choice or KeyringChoice()
    active = choice.open()
    try:
        password = active.get_password(SERVICE, user)
    except _BACKEND_ERRORS as exc:
        raise CredentialsError(_read_error(choice, active, exc)) from exc
    if not password:
        raise CredentialsError(
            f"no portal password stored for {user!r} (keyring service {SERVICE!r}, "
            f"{choice.describe()}): run `accrochage credentials set`"
        )
    return str(password)


def _read_error(choice: KeyringChoice, active: KeyringBackend, exc: Exception) -> str:
    message = f"cannot read the keyring ({type(active).__name__}): {exc}"
    if choice.settings.backend == "file":
        message += f"; is {effective_key_file(choice.settings)} the key this file was made with?"
    return f"{message}; {README_HINT}"


def ready_to_store(choice: KeyringChoice) -> Path | None:
    """Check that a password can be stored where the service will read it (before asking
    for it); create the file backend's missing key file. Returns the key file created.

    Raises:
        CredentialsError: what is missing or wrong, naming the config key to set.
    """
    created = _prepare_file_backend(choice)
    choice.open(storing=True)
    return created


def set_password(username: str | None, password: str, choice: KeyringChoice | None = None) -> str:
    """Store the portal password of ``username``, then read it back as the service would.

    Returns:
        Where it was stored (for the operator).

    Raises:
        CredentialsError: empty password, no username, a keyring the service could not read,
            or the keyring refused it.
    """
    user = _require_username(username)
    choice = choice or KeyringChoice()
    active = keep_secret(user, password, choice)
    # A fresh backend, as the service opens it: never report success it could not read.
    if get_password(user, choice) != password:
        raise CredentialsError(f"stored in {choice.describe()}, but reading it back failed")
    log.info("portal password stored for %s in %s", user, type(active).__name__)
    return choice.describe()


def keep_secret(key: str, password: str, choice: KeyringChoice) -> KeyringBackend:
    """Write ``password`` under ``key`` of the agent's keyring service; the backend used.

    Raises:
        CredentialsError: an empty password, or a keyring that cannot take it.
    """
    if not password:
        raise CredentialsError("the password is empty: nothing stored")
    _prepare_file_backend(choice)
    active = choice.open(storing=True)
    try:
        active.set_password(SERVICE, key, password)
    except _BACKEND_ERRORS as exc:
        raise CredentialsError(
            f"cannot write to the keyring ({type(active).__name__}): {exc}; {README_HINT}"
        ) from exc
    return active


def _prepare_file_backend(choice: KeyringChoice) -> Path | None:
    """Check the file backend can be written for the service; create a missing key file.

    A new key is only created when neither the key nor the encrypted file exist (a new key
    for an existing file would lock the stored password away).
    """
    path = choice.keyring_file
    if path is None:
        return None
    folder = path.parent if path.parent.exists() else None
    if folder is not None and folder.stat().st_uid != os.geteuid():
        owner = pwd.getpwuid(folder.stat().st_uid).pw_name
        raise CredentialsError(
            f"{folder} belongs to {owner}: run this command as {owner} "
            f"(sudo -u {owner} accrochage ...) so that the service can read {path.name}"
        )
    key_file = choice.settings.key_file
    if key_file is None or effective_key_file(choice.settings) != key_file:
        return None
    if key_file.exists() or path.exists():
        return None
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
    finally:
        os.close(fd)
    return key_file


def password_provider(
    username: str | None, choice: KeyringChoice | None = None
) -> Callable[[], str]:
    """A callable reading the password from the keyring when the client logs in."""
    return lambda: get_password(username, choice)
