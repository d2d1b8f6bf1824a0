"""Accounts, sessions, CSRF tokens, lockout and the optional one-time code.

Passwords are stored as salted scrypt hashes; session tokens and one-time codes only as SHA-256
hashes. A session is anonymous until login (it already carries the CSRF token of the login form)
and is replaced by a fresh one on login, so a token seen before login is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from portal.sandbox.rows import Session
from portal.sandbox.settings import SandboxSettings
from portal.sandbox.store import Store

log = logging.getLogger(__name__)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
OTP_FILE = "otp.txt"
OTP_LIFETIME_S = 300.0


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form ``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate.hex(), digest)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def token_hash(token: str) -> str:
    """The SHA-256 of a session token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginResult(Enum):
    OK = "ok"
    OTP_REQUIRED = "otp_required"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"


@dataclass(frozen=True)
class SessionState:
    """The session of the current request. ``expired`` is True when a logged-in session just
    expired (it was replaced by a new anonymous one)."""

    token: str
    session: Session
    is_new: bool
    expired: bool = False

    @property
    def username(self) -> str | None:
        return self.session.username


class Auth:
    """Login, sessions and one-time codes over the replica's store."""

    def __init__(
        self,
        store: Store,
        settings: SandboxSettings,
        *,
        session_max_age: Callable[[], float | None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.session_max_age = session_max_age
        self.clock = clock

    # Accounts -------------------------------------------------------------------------
    def ensure_account(self, username: str, password: str | None) -> str | None:
        """Create the account, or set its password when one is given.

        Returns:
            The generated password when a new account was created without one, else None.
        """
        if password is not None:
            self.store.set_password(username, hash_password(password))
            return None
        if self.store.get_account(username) is not None:
            return None
        generated = secrets.token_urlsafe(12)
        self.store.set_password(username, hash_password(generated))
        return generated

    # Sessions -------------------------------------------------------------------------
    def new_session(self) -> SessionState:
        """A fresh anonymous session with its own CSRF token."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.store.purge_sessions(now - self.settings.session_idle_s)
        self.store.create_session(token_hash(token), secrets.token_urlsafe(32), now)
        session = self.store.get_session(token_hash(token))
        assert session is not None  # noqa: S101 - just inserted
        return SessionState(token=token, session=session, is_new=True)

    def _is_expired(self, session: Session, now: float) -> bool:
        if now - session.last_seen > self.settings.session_idle_s:
            return True
        max_age = self.session_max_age()
        started = session.authenticated_at
        return max_age is not None and started is not None and now - started > max_age

    def resume(self, token: str | None) -> SessionState:
        """The session named by the cookie, or a new one (flagged ``expired`` if it lapsed)."""
        if token:
            session = self.store.get_session(token_hash(token))
            now = self.clock()
            if session is not None and not self._is_expired(session, now):
                # Fewer writes: the idle clock only needs a resolution well under its limit.
                if now - session.last_seen > min(5.0, self.settings.session_idle_s / 10):
                    self.store.update_session(session.token_hash, last_seen=now)
                return SessionState(token=token, session=session, is_new=False)
            if session is not None:
                self.store.delete_session(session.token_hash)
                fresh = self.new_session()
                was_logged_in = session.username is not None
                return SessionState(fresh.token, fresh.session, True, expired=was_logged_in)
        return self.new_session()

    def check_csrf(self, state: SessionState, submitted: str | None) -> bool:
        """Whether a submitted form carries this session's CSRF token."""
        return bool(submitted) and hmac.compare_digest(state.session.csrf, submitted or "")

    def logout(self, state: SessionState) -> None:
        """Forget the session."""
        self.store.delete_session(state.session.token_hash)

    # Login ----------------------------------------------------------------------------
    def locked_minutes(self, username: str) -> float | None:
        """Minutes left on the account's lock, or None when it is not locked."""
        account = self.store.get_account(username)
        if account is None or account.locked_until is None:
            return None
        left = account.locked_until - self.clock()
        return left / 60 if left > 0 else None

    def _fail(self, username: str) -> LoginResult:
        lock_until = self.clock() + self.settings.lockout_minutes * 60
        if self.store.record_failure(username, self.settings.lockout_attempts, lock_until):
            log.warning("sandbox account %s locked after repeated failures", username)
            return LoginResult.LOCKED
        return LoginResult.BAD_CREDENTIALS

    def login(self, state: SessionState, username: str, password: str) -> LoginResult:
        """Check credentials; on success the caller calls :meth:`promote` or the OTP step."""
        if self.locked_minutes(username) is not None:
            return LoginResult.LOCKED
        account = self.store.get_account(username)
        if account is None:
            verify_password(password, _DUMMY_HASH)  # same cost: no hint that the name is unknown
            return LoginResult.BAD_CREDENTIALS
        if not verify_password(password, account.password_hash):
            return self._fail(username)
        if self.settings.otp_enabled:
            self._issue_otp(state, username)
            return LoginResult.OTP_REQUIRED
        self.store.clear_failures(username)
        return LoginResult.OK

    def promote(self, state: SessionState, username: str) -> SessionState:
        """Replace the anonymous session by a logged-in one (new token, new CSRF token)."""
        self.store.delete_session(state.session.token_hash)
        fresh = self.new_session()
        self.store.update_session(
            fresh.session.token_hash, username=username, authenticated_at=self.clock()
        )
        session = self.store.get_session(fresh.session.token_hash)
        assert session is not None  # noqa: S101 - just updated
        return SessionState(token=fresh.token, session=session, is_new=True)

    # One-time code --------------------------------------------------------------------
    @property
    def otp_path(self) -> Path:
        return self.settings.data_dir / OTP_FILE

    def _issue_otp(self, state: SessionState, username: str) -> None:
        code = f"{secrets.randbelow(10**6):06d}"
        path = self.otp_path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(code + "\n")
        path.chmod(0o600)
        self.store.update_session(
            state.session.token_hash,
            pending_username=username,
            otp_hash=token_hash(code),
            otp_expires=self.clock() + OTP_LIFETIME_S,
        )

    def verify_otp(self, state: SessionState, code: str) -> LoginResult:
        """Check the one-time code of a session waiting for it."""
        session = self.store.get_session(state.session.token_hash)
        username = session.pending_username if session else None
        if session is None or username is None or session.otp_hash is None:
            return LoginResult.BAD_CREDENTIALS
        if self.locked_minutes(username) is not None:
            return LoginResult.LOCKED
        fresh = session.otp_expires is not None and self.clock() < session.otp_expires
        if fresh and hmac.compare_digest(session.otp_hash, token_hash(code.strip())):
            self.store.clear_failures(username)
            return LoginResult.OK
        return self._fail(username)
