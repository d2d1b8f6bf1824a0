"""The portal password, kept in the system keyring and nowhere else.

Service name ``accrochage-agent``, user name = the portal identifiant from the config. The
keyring backend is keyring's choice unless ``PYTHON_KEYRING_BACKEND`` or keyringrc.cfg says
otherwise; on a headless server use the encrypted file of ``portal.keyring_file`` (README,
section Credentials). Errors name the backend and say what to do, never the password.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringError

from portal.errors import PortalPermanentError

log = logging.getLogger(__name__)

SERVICE = "accrochage-agent"
README_HINT = "see the README, section Credentials"


class CredentialsError(PortalPermanentError):
    """No usable keyring, no stored password, or the keyring refused to open."""


def backend() -> KeyringBackend:
    """The keyring backend in use.

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


def backend_name() -> str:
    """A printable name of the backend in use (no secrets)."""
    active = backend()
    return f"{type(active).__module__}.{type(active).__qualname__}"


def _require_username(username: str | None) -> str:
    if not username:
        raise CredentialsError("portal.username is not set in the config ([portal] username)")
    return username


def get_password(username: str | None) -> str:
    """The stored portal password of ``username``.

    Raises:
        CredentialsError: no username, no backend, the keyring cannot be opened, or no
            password is stored.
    """
    user = _require_username(username)
    active = backend()
    try:
        password = active.get_password(SERVICE, user)
    # Backends raise KeyringError, or ValueError/RuntimeError/EOFError when an encrypted file
    # cannot be unlocked (wrong key, no key and no terminal).
    except (KeyringError, ValueError, RuntimeError, EOFError) as exc:
        raise CredentialsError(
            f"cannot read the keyring ({type(active).__name__}): {exc}; {README_HINT}"
        ) from exc
    if not password:
        raise CredentialsError(
            f"no portal password stored for {user!r} (keyring service {SERVICE!r}, backend "
            f"{type(active).__name__}): run `accrochage credentials set`"
        )
    return str(password)


def set_password(username: str | None, password: str) -> None:
    """Store the portal password of ``username`` in the keyring.

    Raises:
        CredentialsError: empty password, no username, or the keyring refused it.
    """
    user = _require_username(username)
    if not password:
        raise CredentialsError("the password is empty: nothing stored")
    active = backend()
    try:
        active.set_password(SERVICE, user, password)
    # Same set of backend failures as in get_password.
    except (KeyringError, ValueError, RuntimeError, EOFError) as exc:
        raise CredentialsError(
            f"cannot write to the keyring ({type(active).__name__}): {exc}; {README_HINT}"
        ) from exc
    log.info("portal password stored for %s in %s", user, type(active).__name__)


def password_provider(username: str | None) -> Callable[[], str]:
    """A callable reading the password from the keyring when the client logs in."""
    return lambda: get_password(username)
