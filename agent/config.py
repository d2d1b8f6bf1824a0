"""The configuration file: a strict pydantic model loaded from TOML.

Unknown keys are errors naming the key and the file. Relative paths are relative to the
config file's folder. Secrets are never here: the portal password lives in the keyring.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.notify_settings import NotifySettings
from builders.settings import BuildSettings, Declarant
from portal.keyrings import CredentialSettings
from portal.settings import PortalSettings

ENV_CONFIG = "ACCROCHAGE_CONFIG"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "accrochage-agent"


class AgentSettings(BaseModel):
    """``[agent]``: where the agent keeps its state and finds new exports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    inbox_dir: Path | None = Field(
        default=None, description="Folder watched for new CSV/XLSX exports; default data_dir/inbox."
    )
    timezone: str = "Europe/Paris"
    status_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="accrochage run serves the status page on 127.0.0.1 at this port.",
    )
    inbox_settle_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="An inbox file is imported once its size and mtime stay unchanged this long.",
    )
    inbox_follow_symlinks: bool = Field(
        default=False,
        description="Import files the inbox links to (refused by default: data from elsewhere).",
    )

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as 'Europe/Paris'"
            ) from exc
        return value


class ScheduleSettings(BaseModel):
    """``[schedule]``: when ``accrochage run`` works. Cron expressions in agent.timezone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deposit: str = Field(
        default="0 2 * * *", description="Import, build and deposit (default nightly at 02:00)."
    )
    collect: str = Field(
        default="30 */2 * * *", description="Collect receipts and reports (every two hours)."
    )
    deadline_check: str = Field(
        default="15 * * * *",
        description="Hourly check: a pending passage near its deadline triggers a deposit.",
    )
    deadline_days: int = Field(
        default=15, ge=1, le=90, description="'Near its deadline' = within this many days."
    )
    misfire_grace_hours: float = Field(
        default=6.0, gt=0, le=72, description="A run missed (agent down) still runs this late."
    )
    poll_interval_s: float = Field(
        default=30.0, ge=0.1, le=3600, description="deposit now --wait: history poll interval."
    )
    wait_timeout_s: float = Field(
        default=3600.0, gt=0, description="deposit now --wait: default time limit."
    )

    @field_validator("deposit", "collect", "deadline_check")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"not a cron expression (minute hour day month weekday): {exc}"
            ) from exc
        return value


#: Three months: the legal time to declare a certificate (R.6113-17-2 Code du travail).
LEGAL_HORIZON_DAYS = 92


def _keep(default: int, what: str) -> Any:
    return Field(
        default=default,
        ge=0,
        description=f"Days to keep {what}; 0 keeps them forever, else at least "
        f"{LEGAL_HORIZON_DAYS} (the 3-month legal horizon).",
    )


class RetentionSettings(BaseModel):
    """``[retention]``: what the service deletes, nightly, once it is older than this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence_days: int = _keep(LEGAL_HORIZON_DAYS, "screenshots and traces of failed attempts")
    imported_days: int = _keep(400, "imported exports and their error reports")
    events_days: int = _keep(400, "event-log entries")

    @field_validator("evidence_days", "imported_days", "events_days")
    @classmethod
    def _horizon(cls, value: int) -> int:
        if 0 < value < LEGAL_HORIZON_DAYS:
            raise ValueError(
                f"must be 0 (keep forever) or at least {LEGAL_HORIZON_DAYS} days, so nothing "
                "is deleted while a certificate may still be due (3 months)"
            )
        return value


#: The URL schemes ``[store] url`` accepts.
STORE_SCHEMES = ("sqlite", "postgresql")


class StoreSettings(BaseModel):
    """``[store]``: which database keeps the agent's state (passages, batches, events)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None,
        description=(
            "sqlite:///ABSOLUTE/PATH (default: agent.sqlite3 in agent.data_dir), or "
            "postgresql://USER@HOST:PORT/DATABASE (password: ~/.pgpass or PGPASSWORD)."
        ),
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.partition("://")[0]
        if scheme not in STORE_SCHEMES or "://" not in value:
            raise ValueError(
                f"expected a URL starting with {' or '.join(s + '://' for s in STORE_SCHEMES)}, "
                f"got {value.split('@')[-1]!r}"
            )
        return value


class Config(BaseModel):
    """The whole configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: AgentSettings = AgentSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    retention: RetentionSettings = RetentionSettings()
    declarant: Declarant = Declarant()
    build: BuildSettings = BuildSettings()
    portal: PortalSettings = PortalSettings()
    notify: NotifySettings = NotifySettings()
    credentials: CredentialSettings = CredentialSettings()
    store: StoreSettings = StoreSettings()


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message names file and keys."""


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        if item["type"] == "value_error":  # our own message, without pydantic's prefix
            message = str(item.get("ctx", {}).get("error", message))
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


_PATH_KEYS = (
    ("agent", ("data_dir", "inbox_dir")),
    ("credentials", ("keyring_file", "key_file")),
    ("portal", ("chromium_path",)),
)


def _resolve_paths(raw: dict[str, object], base: Path) -> None:
    """Make relative paths in known path keys relative to the config file's folder."""
    for section, keys in _PATH_KEYS:
        table = raw.get(section)
        if not isinstance(table, dict):
            continue
        for key in keys:
            value = table.get(key)
            if isinstance(value, str):
                table[key] = str((base / Path(value).expanduser()).resolve())


def load_config(path: Path | None) -> Config:
    """Load the config from ``path``; None gives the embedded defaults.

    Raises:
        ConfigError: the file cannot be read or parsed, or does not validate.
    """
    if path is None:
        return Config()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    _resolve_paths(raw, path.parent)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(path, exc)) from exc


def find_config(explicit: Path | None) -> Path | None:
    """The config path: --config, else $ACCROCHAGE_CONFIG, else ./accrochage.toml if present."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path("accrochage.toml")
    return local if local.is_file() else None
