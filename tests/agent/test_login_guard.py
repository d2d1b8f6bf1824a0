"""The login guard: one refused password is never typed again until it changes."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from agent.config import AgentSettings, Config
from agent.context import RunContext
from agent.deposit import RunOptions, RunSummary, run_deposit
from agent.login_guard import LoginGuard, LoginPaused
from agent.paths import AgentPaths
from agent.store import Store
from portal.base import Portal
from portal.errors import LoginFailed
from portal.fake import FakePortal
from portal.settings import PortalSettings
from tests.agent.helpers import inbox, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


class Keyring:
    """The keyring as the guard sees it: one password, reads counted."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        return self.password


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config in tmp_path with a portal account."""
    return Config(
        agent=AgentSettings(data_dir=tmp_path / "data", timezone="Europe/Paris"),
        portal=PortalSettings(username="certificateur"),
    )


def _guard(config: Config, keyring: Keyring) -> LoginGuard:
    return LoginGuard(
        config,
        config.portal.base_url,
        "certificateur",
        keyring,
        timezone=config.agent.timezone,
        now=lambda: NOW,
    )


def _run(config: Config, fake: FakePortal, guard: LoginGuard) -> RunSummary:
    def make() -> AbstractContextManager[Portal]:
        return fake.client(password_provider=guard.provider())

    return run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _line: None),
        portal_factory=make,
        options=RunOptions(),
        login_guard=guard,
    )


def _logins(fake: FakePortal) -> int:
    return sum(1 for method, _ in fake.calls if method == "login")


def test_guard_refused_password_then_six_runs_log_in_once(config: Config) -> None:
    """A refused password is typed once; six more runs end at once with the pause line."""
    fake = FakePortal(password="right")
    keyring = Keyring("wrong")
    write_export(inbox(config) / "a.csv", [row("A1")])
    first = _run(config, fake, _guard(config, keyring))
    expected = (
        "login paused: the portal refused the password at 2026-03-02 11:00:00 CET; "
        "run `accrochage credentials set` (portal said: the portal refused the identifiant"
    )
    assert _logins(fake) == 1
    assert expected in first.errors[0]
    for _ in range(6):
        again = _run(config, fake, _guard(config, keyring))
        assert not again.ok and expected in again.errors[0]
    assert _logins(fake) == 1, "no second login with the refused password"
    assert fake.uploads == []
    with Store.open(AgentPaths.from_config(config).db) as store:
        kinds = [e.kind for e in store.events(limit=200)]
        pause = store.login_pause(config.portal.base_url, "certificateur")
    assert kinds.count("login_paused") == 1
    assert pause is not None and b"wrong" not in pause.digest and len(pause.salt) == 16
    data_dir = AgentPaths.from_config(config).data_dir
    db_bytes = b"".join(p.read_bytes() for p in data_dir.glob("agent.sqlite3*"))
    assert db_bytes and b"wrong" not in db_bytes  # never the password itself, not even in the WAL

    keyring.password = "right"
    done = _run(config, fake, _guard(config, keyring))
    assert done.ok, done.errors
    assert _logins(fake) == 2 and len(fake.uploads) == 1
    assert _guard(config, keyring).pause() is None


def test_guard_lockout_and_second_factor_pause_too(config: Config) -> None:
    """Any refusal after the password was typed pauses; one before it does not."""
    keyring = Keyring("pw")
    guard = _guard(config, keyring)
    assert guard.refused(LoginFailed("portal.username is not set")).message.startswith("portal")
    assert guard.pause() is None
    guard.provider()()
    paused = guard.refused(LoginFailed("Compte verrouillé après 5 tentatives"))
    assert isinstance(paused, LoginPaused)
    assert paused.message.endswith("(portal said: Compte verrouillé après 5 tentatives)")
    with pytest.raises(LoginPaused):
        guard.check()
    with pytest.raises(LoginPaused):
        guard.provider()()
    assert guard.provider(enforce=False)() == "pw"  # credentials check may try, on request
    keyring.password = "new"
    guard.check()  # another password: one attempt allowed
    assert guard.lift("new password") is True
    assert guard.lift("again") is False


def test_guard_reads_no_keyring_and_creates_no_store_without_a_pause(config: Config) -> None:
    """Without a pause, check() neither reads the keyring nor creates the store."""
    keyring = Keyring("pw")
    _guard(config, keyring).check()
    assert keyring.reads == 0
    assert not AgentPaths.from_config(config).db.exists()
