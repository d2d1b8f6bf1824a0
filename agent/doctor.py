"""``accrochage doctor``: is this installation ready to run unattended?

One check per line, in the order an operator fixes things: config, folders, keyring,
password, Chromium, portal, imported XSD, time zone. A check that fails does not stop the
others (each says what to do); a warning points at something that works but deserves a look.
Nothing is created or changed, and the portal gets one plain request (no login).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.keyrings import keyring_choice
from agent.where import config_label
from builders.cdc.schemas import get_schema
from portal.errors import PortalError


class Level(StrEnum):
    """The outcome of one check."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    level: Level
    detail: str


class CheckFailed(Exception):
    """A check's failure, with what to do."""


class CheckWarned(Exception):
    """A check that passed with a remark."""


def check_folder(path: Path, what: str) -> str:
    """A folder the agent writes: writable and owner-only, or creatable.

    Raises:
        CheckFailed: neither writable nor creatable.
        CheckWarned: writable, but readable by others.
    """
    if path.is_dir():
        mode = stat.S_IMODE(path.stat().st_mode)
        try:
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as exc:
            raise CheckFailed(f"{path} is not writable ({exc.strerror}): fix {what}") from exc
        if mode & 0o077:
            raise CheckWarned(
                f"{path} is writable but readable by others ({mode:o}): chmod 700 {path}"
            )
        return f"{path} (writable, owner-only)"
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not os.access(parent, os.W_OK | os.X_OK):
        raise CheckFailed(f"{path} does not exist and {parent} is not writable: fix {what}")
    return f"{path} does not exist yet; it will be created ({parent} is writable)"


def _keyring(config: Config) -> str:
    choice = keyring_choice(config)
    choice.open(storing=True)
    return choice.describe()


def _password(config: Config) -> str:
    from portal.credentials import get_password

    get_password(config.portal.username, keyring_choice(config))
    return f"stored for {config.portal.username}"


def _chromium(config: Config) -> str:
    from portal.browser import chromium_launches
    from portal.chromium import chromium_executable

    try:
        executable = chromium_executable(config.portal) or "Playwright's own Chromium"
    except FileNotFoundError as exc:
        raise CheckFailed(f"{exc}: fix [portal] chromium_path") from exc
    with tempfile.TemporaryDirectory() as downloads:
        version = chromium_launches(config.portal, Path(downloads))
    return f"{executable} starts headless ({version})"


def _portal(config: Config) -> str:
    from portal.reach import check_reachable

    reach = check_reachable(config.portal)
    if not reach.ok:
        raise CheckFailed(f"{reach.detail}: check [portal] base_url and that the portal is up")
    return reach.detail


def _xsd(config: Config) -> str:
    version = config.build.schema_version
    path = get_schema(config.agent.data_dir, version)
    if path is None:
        raise CheckWarned(
            f"no imported XSD for schema {version}: only the built-in rules apply; run "
            "`accrochage schema import <CDC kit .zip>`"
        )
    return f"schema {version}: {path}"


def _timezone(config: Config, now: Callable[[], dt.datetime]) -> str:
    zone = config.agent.timezone
    local = now().astimezone(ZoneInfo(zone))
    return f"{zone} (now {local:%Y-%m-%d %H:%M %z}): the [schedule] times are in this zone"


def run_doctor(
    config_path: Path | None,
    config: Config,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[Check]:
    """Every check, in order (the config itself was loaded by the caller)."""
    steps: list[tuple[str, Callable[[], str]]] = [
        ("data-dir", lambda: check_folder(config.agent.data_dir, "[agent] data_dir")),
        ("inbox", lambda: check_folder(config.agent.inbox, "[agent] inbox_dir")),
        ("keyring", lambda: _keyring(config)),
        ("password", lambda: _password(config)),
        ("chromium", lambda: _chromium(config)),
        ("portal", lambda: _portal(config)),
        ("xsd", lambda: _xsd(config)),
        ("timezone", lambda: _timezone(config, now)),
    ]
    checks = [_config_check(config_path)]
    for name, step in steps:
        try:
            checks.append(Check(name, Level.OK, step()))
        except CheckWarned as exc:
            checks.append(Check(name, Level.WARN, str(exc)))
        except CheckFailed as exc:
            checks.append(Check(name, Level.FAIL, str(exc)))
        except PortalError as exc:
            checks.append(Check(name, Level.FAIL, exc.message))
    return checks


def _config_check(config_path: Path | None) -> Check:
    if config_path is None:
        return Check(
            "config",
            Level.WARN,
            "no config file, built-in defaults: pass --config or set ACCROCHAGE_CONFIG",
        )
    return Check("config", Level.OK, f"{config_label(config_path)} is valid")
