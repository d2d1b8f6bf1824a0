"""Settings of the replica (``accrochage sandbox``), faults included.

They come from three places, later ones winning: the defaults below, an optional TOML file with
a ``[sandbox]`` table (and ``[sandbox.faults]``), and the command-line flags. Faults can also be
changed while the replica runs, through its test-only admin endpoint (see ``portal.sandbox.admin``).
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from portal.sandbox.labels import OVERRIDABLE

MIB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 200 * MIB  # the CDC's 200 Mo per file (cdc-format.md §6)


class SandboxSettingsError(Exception):
    """The sandbox settings file is missing, unreadable or invalid."""


class FaultSettings(BaseModel):
    """Failures the replica can inject, for tests and rehearsals. All off by default."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: int = Field(default=0, ge=0, le=120_000, description="Added to every request.")
    error_rate: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of page requests answered with HTTP 500."
    )
    error_seed: int | None = Field(default=None, description="Seed of the HTTP 500 draw.")
    maintenance_start: datetime | None = Field(
        default=None, description="Start of the maintenance window (503 page), timezone-aware."
    )
    maintenance_end: datetime | None = Field(
        default=None, description="End of the maintenance window; open-ended when absent."
    )
    session_max_age_s: float | None = Field(
        default=None, gt=0, description="Sessions expire this long after login, active or not."
    )
    fail_upload_confirmation: bool = Field(
        default=False, description="Store the upload, then answer HTTP 500 instead of confirming."
    )
    documents_inline: bool = Field(
        default=False, description="Serve receipts and reports inline instead of as downloads."
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Changed page labels, e.g. {DEPOSIT_TAB = '…', PROCESSED = '…'}.",
    )

    @model_validator(mode="after")
    def _known_labels(self) -> FaultSettings:
        unknown = sorted(set(self.labels) - OVERRIDABLE)
        if unknown:
            raise ValueError(f"labels: unknown names {unknown}; known: {sorted(OVERRIDABLE)}")
        if any(not text.strip() for text in self.labels.values()):
            raise ValueError("labels: texts must not be empty")
        return self

    @model_validator(mode="after")
    def _aware_window(self) -> FaultSettings:
        for value in (self.maintenance_start, self.maintenance_end):
            if value is not None and value.tzinfo is None:
                raise ValueError("maintenance datetimes need a UTC offset (e.g. +01:00)")
        return self

    def in_maintenance(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in the maintenance window."""
        if self.maintenance_start is None:
            return False
        if now < self.maintenance_start:
            return False
        return self.maintenance_end is None or now < self.maintenance_end

    def with_maintenance_for(self, seconds: float, now: datetime) -> FaultSettings:
        """A copy whose maintenance window starts ``now`` and lasts ``seconds``."""
        return self.model_copy(
            update={"maintenance_start": now, "maintenance_end": now + timedelta(seconds=seconds)}
        )


class SandboxSettings(BaseModel):
    """Everything ``accrochage sandbox`` can be told."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path
    host: str = Field(default="127.0.0.1", pattern=r"^(127\.0\.0\.1|localhost)$")
    port: int = Field(default=8765, ge=0, le=65535, description="0 picks a free port.")
    username: str = Field(default="certificateur", min_length=1, max_length=100)
    password: SecretStr | None = Field(
        default=None, description="Set the account's password; generated for a new account."
    )
    processing_delay_s: float = Field(default=3.0, ge=0, le=86_400)
    otp_enabled: bool = False
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)
    lockout_attempts: int = Field(default=5, ge=1, le=100)
    lockout_minutes: float = Field(default=15.0, gt=0)
    session_idle_s: float = Field(default=1800.0, gt=0)
    history_page_size: int = Field(
        default=20, ge=1, le=1000, description="Rows per page of the history (newest first)."
    )
    xsd: Path | None = Field(default=None, description="Official XSD for the control stage.")
    agent_data_dir: Path | None = Field(
        default=None, description="Agent data folder whose imported XSDs are used (newest)."
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Token of the admin endpoint; generated when absent."
    )
    threads: int = Field(default=4, ge=1, le=32)
    faults: FaultSettings = FaultSettings()


def load_settings_file(path: Path) -> dict[str, Any]:
    """Read the ``[sandbox]`` table of a TOML file.

    Args:
        path: The TOML file.

    Returns:
        The raw table (empty when the file has none); relative paths resolved against the
        file's folder.

    Raises:
        SandboxSettingsError: the file is missing or not TOML.
    """
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise SandboxSettingsError(f"{path}: settings file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SandboxSettingsError(f"{path}: not valid TOML: {exc}") from exc
    table = raw.get("sandbox", {})
    if not isinstance(table, dict):
        raise SandboxSettingsError(f"{path}: [sandbox] must be a table")
    for key in ("data_dir", "xsd", "agent_data_dir"):
        value = table.get(key)
        if isinstance(value, str):
            table[key] = str((path.parent / Path(value).expanduser()).resolve())
    return table


def build_settings(base: dict[str, Any], overrides: dict[str, Any]) -> SandboxSettings:
    """Merge file values and command-line overrides (``faults`` merged key by key).

    Args:
        base: Values from the settings file.
        overrides: Values given on the command line (None values are ignored).

    Returns:
        The validated settings.

    Raises:
        SandboxSettingsError: a value does not validate; the message lists each bad key.
    """
    merged = dict(base)
    faults = dict(merged.get("faults", {}))
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "faults":
            faults.update({k: v for k, v in value.items() if v is not None})
        else:
            merged[key] = value
    merged["faults"] = faults
    try:
        return SandboxSettings.model_validate(merged)
    except ValidationError as exc:
        lines = ["invalid sandbox settings"]
        for item in exc.errors():
            where = ".".join(str(part) for part in item["loc"])
            lines.append(f"  {where}: {item['msg']}")
        raise SandboxSettingsError("\n".join(lines)) from exc
