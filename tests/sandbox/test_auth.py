"""Accounts, sessions and one-time codes with an injected clock (real SQLite, no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.sandbox.auth import Auth, LoginResult, hash_password, token_hash, verify_password
from portal.sandbox.settings import SandboxSettings
from portal.sandbox.store import Store


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A manual clock."""
    return Clock()


def make_auth(tmp_path: Path, clock: Clock, **settings: object) -> Auth:
    """An Auth over a fresh store, with the account certificateur / secret."""
    data_dir = tmp_path / "sandbox"
    data_dir.mkdir(exist_ok=True)
    config = SandboxSettings.model_validate({"data_dir": data_dir, **settings})
    auth = Auth(Store(data_dir), config, clock=clock)
    auth.ensure_account("certificateur", "secret")
    return auth


def test_auth_password_hash_is_salted_and_verifies() -> None:
    """Two hashes of one password differ; each verifies; a wrong or odd hash does not."""
    first, second = hash_password("mot"), hash_password("mot")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("mot", first) and verify_password("mot", second)
    assert not verify_password("autre", first)
    assert not verify_password("mot", "md5$abc")
    assert not verify_password("mot", "garbage")


def test_auth_ensure_account_generates_only_for_new_accounts(tmp_path: Path, clock: Clock) -> None:
    """A new account without password gets a generated one; an existing one is kept."""
    auth = make_auth(tmp_path, clock)
    generated = auth.ensure_account("nouveau", None)
    assert generated is not None and len(generated) >= 12
    assert auth.ensure_account("nouveau", None) is None
    state = auth.new_session()
    assert auth.login(state, "nouveau", generated) is LoginResult.OK


def test_auth_session_idle_expiry_flags_logged_in_sessions(tmp_path: Path, clock: Clock) -> None:
    """Past the idle limit a logged-in session is replaced and flagged expired."""
    auth = make_auth(tmp_path, clock, session_idle_s=60)
    state = auth.promote(auth.new_session(), "certificateur")
    clock.now += 59
    assert auth.resume(state.token).username == "certificateur"
    clock.now += 59  # activity above reset the idle timer
    assert auth.resume(state.token).username == "certificateur"
    clock.now += 61
    expired = auth.resume(state.token)
    assert expired.username is None and expired.expired and expired.token != state.token
    assert auth.store.get_session(token_hash(state.token)) is None


def test_auth_forced_session_lifetime(tmp_path: Path, clock: Clock) -> None:
    """The session_max_age fault ends a session that is still active."""
    data_dir = tmp_path / "sandbox"
    data_dir.mkdir()
    config = SandboxSettings(data_dir=data_dir)
    auth = Auth(Store(data_dir), config, session_max_age=lambda: 30.0, clock=clock)
    auth.ensure_account("certificateur", "secret")
    state = auth.promote(auth.new_session(), "certificateur")
    for _ in range(3):
        clock.now += 10
        current = auth.resume(state.token)
    assert current.username == "certificateur"
    clock.now += 1
    assert auth.resume(state.token).expired


def test_auth_promote_rotates_token_and_csrf(tmp_path: Path, clock: Clock) -> None:
    """Login replaces the anonymous token and CSRF token (no session fixation)."""
    auth = make_auth(tmp_path, clock)
    anonymous = auth.new_session()
    logged = auth.promote(anonymous, "certificateur")
    assert logged.token != anonymous.token
    assert logged.session.csrf != anonymous.session.csrf
    assert auth.resume(anonymous.token).username is None
    assert not auth.check_csrf(logged, anonymous.session.csrf)
    assert auth.check_csrf(logged, logged.session.csrf)
    assert not auth.check_csrf(logged, None)


def test_auth_lockout_expires_after_the_configured_minutes(tmp_path: Path, clock: Clock) -> None:
    """N failures lock the account for M minutes, then the right password works again."""
    auth = make_auth(tmp_path, clock, lockout_attempts=2, lockout_minutes=10)
    state = auth.new_session()
    assert auth.login(state, "certificateur", "x") is LoginResult.BAD_CREDENTIALS
    assert auth.login(state, "certificateur", "x") is LoginResult.LOCKED
    assert auth.login(state, "certificateur", "secret") is LoginResult.LOCKED
    clock.now += 10 * 60 + 1
    assert auth.login(state, "certificateur", "secret") is LoginResult.OK


def test_auth_otp_code_expires(tmp_path: Path, clock: Clock) -> None:
    """The one-time code works once written, and not after five minutes."""
    auth = make_auth(tmp_path, clock, otp_enabled=True)
    state = auth.new_session()
    assert auth.login(state, "certificateur", "secret") is LoginResult.OTP_REQUIRED
    code = auth.otp_path.read_text().strip()
    clock.now += 301
    assert auth.verify_otp(state, code) is LoginResult.BAD_CREDENTIALS
    assert auth.login(state, "certificateur", "secret") is LoginResult.OTP_REQUIRED
    assert auth.verify_otp(state, auth.otp_path.read_text().strip()) is LoginResult.OK
