"""Never lock the portal account: no second login with a password the portal refused.

After the portal refuses a login (wrong password, locked account, a second-factor page, or
any unexpected page once the password was typed), the agent stores a fingerprint of that
password (scrypt with a random salt: never the password itself) in the store. From then on
every run ends at once with "login paused: ..." as long as the keyring still holds that same
password; storing a new one (``accrochage credentials set``) or a successful
``accrochage credentials check`` lifts the pause.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.config import Config
from agent.rows import LoginPause
from agent.store import open_store, store_exists
from agent.timefmt import human_time
from portal.errors import LoginFailed

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class LoginPaused(LoginFailed):
    """Logins are paused: the keyring still holds the password the portal refused."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fingerprint(password: str, salt: bytes) -> bytes:
    """A slow salted hash of ``password`` (scrypt), safe to store."""
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)


def same_password(pause: LoginPause, password: str) -> bool:
    """Whether ``password`` is the one the portal refused."""
    return hmac.compare_digest(fingerprint(password, pause.salt), pause.digest)


@dataclass
class LoginGuard:
    """Guards the logins of one account (``base_url`` + ``username``) of one data directory.

    Args:
        config: names the store (read only if it exists; written on a refusal).
        base_url: the portal's address.
        username: the portal identifiant.
        password_source: reads the password from the keyring.
        timezone: for the time shown in messages.
        now: the clock.
    """

    config: Config
    base_url: str
    username: str
    password_source: Callable[[], str]
    timezone: str = "Europe/Paris"
    now: Callable[[], dt.datetime] = _utcnow
    _submitted: tuple[bytes, bytes] | None = field(default=None, repr=False)

    def pause(self) -> LoginPause | None:
        """The pause in force for this account, if any (never creates the store)."""
        if not store_exists(self.config):
            return None
        with open_store(self.config, now=self.now) as store:
            return store.login_pause(self.base_url, self.username)

    def paused_message(self, pause: LoginPause) -> str:
        """The one line every run prints while logins are paused."""
        return (
            f"login paused: the portal refused the password at "
            f"{human_time(pause.at, self.timezone)}; run `accrochage credentials set` "
            f"(portal said: {pause.message})"
        )

    def _check_password(self, password: str) -> None:
        pause = self.pause()
        if pause is not None and same_password(pause, password):
            raise LoginPaused(self.paused_message(pause))

    def paused_for_stored_password(self) -> LoginPause | None:
        """The pause, when the keyring still holds the refused password."""
        pause = self.pause()
        if pause is not None and same_password(pause, self.password_source()):
            return pause
        return None

    def check(self) -> None:
        """Raise LoginPaused when the keyring still holds a refused password.

        Raises:
            LoginPaused: logins are paused for this password.
            CredentialsError: the password cannot be read (only when a pause exists).
        """
        pause = self.paused_for_stored_password()
        if pause is not None:
            raise LoginPaused(self.paused_message(pause))

    def provider(self, *, enforce: bool = True) -> Callable[[], str]:
        """The password provider for the portal client: checks the pause (unless
        ``enforce`` is False: the operator's own ``credentials check``), then remembers the
        fingerprint of what it hands out, so a refusal can be recorded."""

        def give() -> str:
            password = self.password_source()
            if enforce:
                self._check_password(password)
            salt = secrets.token_bytes(16)
            self._submitted = (salt, fingerprint(password, salt))
            return password

        return give

    def refused(self, exc: LoginFailed) -> LoginFailed:
        """Record a refusal of the password last handed out; returns the error to report.

        A refusal before any password was typed (no username, a paused login) pauses
        nothing and is returned as is.
        """
        if isinstance(exc, LoginPaused) or self._submitted is None:
            return exc
        salt, digest = self._submitted
        self._submitted = None
        with open_store(self.config, now=self.now) as store:
            pause = store.set_login_pause(
                self.base_url, self.username, salt=salt, digest=digest, message=exc.message
            )
            line = self.paused_message(pause)
            store.add_event("login_paused", line, level="error")
        return LoginPaused(line, evidence=exc.evidence)

    def succeeded(self) -> None:
        """A login worked: lift any pause."""
        self.lift("the portal accepted the password")

    def lift(self, why: str) -> bool:
        """Lift the pause (a new password stored, or a successful check); False if none."""
        if self.pause() is None:
            return False
        with open_store(self.config, now=self.now) as store:
            store.clear_login_pause(self.base_url, self.username)
            store.add_event("login_resumed", f"login no longer paused: {why}")
        return True
