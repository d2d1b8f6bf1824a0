"""The configuration file: a strict pydantic model loaded from TOML.

Unknown keys are errors naming the key and the file. Relative paths are relative to the
config file's folder. Secrets are never here: the portal password lives in the keyring.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.notify_settings import NotifySettings
from builders.settings import BuildSettings, Declarant
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

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"


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


#: The URL schemes ``[store] url`` accepts.
STORE_SCHEMES = ("sqlite", "postgresql")


class StoreSettings(BaseModel):
    """``[store]``: which database keeps the agent's state (passages, batches, events)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None,
        description="sqlite:///ABSOLUTE/PATH; default: agent.sqlite3 in agent.data_dir.",
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
    declarant: Declarant = Declarant()
    build: BuildSettings = BuildSettings()
    portal: PortalSettings = PortalSettings()
    notify: NotifySettings = NotifySettings()
    store: StoreSettings = StoreSettings()


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message names file and keys."""


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _resolve_paths(raw: dict[str, object], base: Path) -> None:
    """Make relative paths in known path keys relative to the config file's folder."""
    agent = raw.get("agent")
    if isinstance(agent, dict):
        for key in ("data_dir", "inbox_dir"):
            value = agent.get(key)
            if isinstance(value, str):
                agent[key] = str((base / Path(value).expanduser()).resolve())


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
