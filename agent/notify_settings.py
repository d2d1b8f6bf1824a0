"""``[notify]``: where the agent reports what needs a person, and what it reports.

Destinations are Apprise URLs (``mailtos://``, ``json://``, ``msteams://``, ``ntfy://``...).
A secret in a URL (SMTP password, token) is never written in the config: the URL holds a
``{secret:NAME}`` placeholder, and the value lives in the keyring (``accrochage notify
secret NAME``), substituted just before sending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SECRET = re.compile(r"\{secret:([A-Za-z0-9_.-]+)\}")


class NotifyKind(StrEnum):
    """What can be notified; each one switchable in ``[notify] kinds``."""

    RUN_FAILED = "run_failed"
    LOGIN_REFUSED = "login_refused"
    FILE_NOT_IMPORTED = "file_not_imported"
    PASSAGES_REJECTED = "passages_rejected"
    FILE_REJECTED = "file_rejected"
    DEADLINE_DIGEST = "deadline_digest"
    BATCH_ACCEPTED = "batch_accepted"


class Level(StrEnum):
    """How serious a notification is; a destination gets those at or above its minimum."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


DEFAULT_KINDS = tuple(kind for kind in NotifyKind if kind is not NotifyKind.BATCH_ACCEPTED)


class Destination(BaseModel):
    """One destination: an Apprise URL, its name, the least serious level and the kinds it
    receives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=3, description="Apprise URL; secrets as {secret:NAME}.")
    name: str = Field(default="", description="Shown in `notify test`; default: the scheme.")
    min_level: Level = Level.INFO
    kinds: tuple[NotifyKind, ...] | None = Field(
        default=None, description="What this destination gets; default: [notify] kinds."
    )

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("expected an Apprise URL such as 'mailtos://...' or 'json://...'")
        return value

    @property
    def label(self) -> str:
        """A printable name without any secret (the name, else the URL's scheme and host)."""
        if self.name:
            return self.name
        scheme, _, rest = self.url.partition("://")
        # Only the host: user names, passwords, paths and queries can all hold secrets.
        host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
        return f"{scheme}://{SECRET.sub('***', host)}"

    @property
    def key(self) -> str:
        """The outbox cursor's key: stable while the name and URL (placeholders) stay."""
        return hashlib.sha256(f"{self.name}\n{self.url}".encode()).hexdigest()[:16]

    def secret_names(self) -> list[str]:
        """Names of the keyring secrets this URL refers to."""
        return SECRET.findall(self.url)


class NotifySettings(BaseModel):
    """``[notify]``: destinations, kinds, language, daily digest, monitoring ping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: tuple[Destination, ...] = Field(
        default=(), description="Apprise URLs, or tables {url, name, min_level, kinds}."
    )
    kinds: tuple[NotifyKind, ...] = Field(default=DEFAULT_KINDS, description="What is sent.")
    language: Literal["fr", "en"] = "fr"
    digest_time: dt.time = Field(
        default=dt.time(8, 0), description="Daily deadline digest, agent.timezone."
    )
    interval_minutes: float = Field(
        default=10, gt=0, le=1440, description="The service sends pending notifications this often."
    )
    ping_url: str | None = Field(
        default=None, description="Dead-man's switch: start/success/fail pings (healthchecks)."
    )

    @field_validator("urls", mode="before")
    @classmethod
    def _plain_urls(cls, value: object) -> object:
        """A plain string is a destination with the default name and level."""
        if isinstance(value, list | tuple):
            return [{"url": item} if isinstance(item, str) else item for item in value]
        return value
