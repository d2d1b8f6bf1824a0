"""The PostgreSQL store's password: from the agent's keyring, else from libpq's own sources.

``accrochage credentials set --store`` keeps it in the keyring that ``[credentials]`` names
(the portal password's keyring), under the user name ``store:USER@HOST:PORT/DATABASE`` of
``[store] url``. Without such an entry libpq looks where it always does (``~/.pgpass``,
``PGPASSFILE``, ``PGPASSWORD``). The URL itself never holds a password (refused on open).
"""

from __future__ import annotations

import logging

from psycopg.conninfo import conninfo_to_dict

from agent.config import Config
from agent.keyrings import keyring_choice
from portal.credentials import SERVICE, CredentialsError, keep_secret

log = logging.getLogger(__name__)


def store_key(url: str) -> str:
    """The keyring user name of the store at ``url`` (no secret in it)."""
    info = conninfo_to_dict(url)
    user = info.get("user") or ""
    host = info.get("host") or "localhost"
    port = info.get("port") or "5432"
    return f"store:{user}@{host}:{port}/{info.get('dbname') or ''}"


#: Passwords read from a keyring file, by (URL, file, its mtime and size): the file backend
#: derives its key (Argon2id, about 0.8 s) on every read, and every store opening asks.
_FILE_READS: dict[tuple[str, str, int, int], str | None] = {}


def store_password(config: Config, url: str) -> str | None:
    """The password kept for the store at ``url``, or None to let libpq find one."""
    keyring_file = keyring_choice(config).keyring_file
    try:
        stat = keyring_file.stat() if keyring_file is not None else None
    except OSError:
        stat = None
    if keyring_file is None or stat is None:
        return _read(config, url)
    key = (url, str(keyring_file), stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_READS:
        _FILE_READS.clear()  # an older state of the file: never read again
        _FILE_READS[key] = _read(config, url)
    return _FILE_READS[key]


def _read(config: Config, url: str) -> str | None:
    try:
        active = keyring_choice(config).open()
        value = active.get_password(SERVICE, store_key(url))
    except CredentialsError:
        return None  # no usable keyring here: libpq's own sources only
    except Exception as exc:  # noqa: BLE001 - a keyring backend may raise anything
        log.warning("cannot read the store password from the keyring (%s)", type(exc).__name__)
        return None
    return str(value) if value else None


def set_store_password(config: Config, url: str, password: str) -> str:
    """Keep the store's password in the keyring and read it back; where it went.

    Raises:
        CredentialsError: an empty password, or a keyring that refused or lost it.
    """
    choice = keyring_choice(config)
    keep_secret(store_key(url), password, choice)
    if store_password(config, url) != password:
        raise CredentialsError(f"stored in {choice.describe()}, but reading it back failed")
    return choice.describe()
