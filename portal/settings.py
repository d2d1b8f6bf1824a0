"""Settings of the portal client: where the portal is, who logs in, how Chromium runs."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from portal.profile import PortalProfile

REAL_PORTAL_URL = "https://certificateurs.moncompteformation.gouv.fr"


class PortalSettings(BaseModel):
    """``[portal]`` section of the config. The password is never here: it is in the keyring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(default=REAL_PORTAL_URL, pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")
    allow_insecure_http: bool = Field(
        default=False,
        description="Accept a plain http:// base_url on a host other than this machine.",
    )
    username: str | None = Field(default=None, description="The portal identifiant.")
    chromium_path: Path | None = Field(
        default=None,
        description="Chromium executable; default: system chromium, else Playwright's.",
    )
    headless: bool = True
    action_timeout_s: float = Field(default=30.0, gt=0)
    upload_timeout_s: float = Field(default=900.0, gt=0)
    confirm_timeout_s: float = Field(
        default=120.0, gt=0, description="How long to poll the history for a new deposit's row."
    )
    download_start_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Wait this long for a download to start before fetching the link inline.",
    )
    page_retry_attempts: int = Field(
        default=4,
        ge=1,
        le=20,
        description="Loads of one page answering HTTP 5xx before its step fails (1: no reload).",
    )
    page_retry_delay_s: float = Field(
        default=2.0, ge=0, description="First wait before reloading such a page; doubles."
    )
    max_document_bytes: int = Field(
        default=50_000_000,
        gt=0,
        description="Receipts and reports larger than this are refused, never stored.",
    )
    retry_attempts: int = Field(default=4, ge=1, le=20)
    retry_total_s: float = Field(default=1800.0, gt=0)
    retry_base_delay_s: float = Field(
        default=10.0, ge=0, description="First wait between attempts; doubles each time."
    )
    retry_max_delay_s: float = Field(default=300.0, ge=0, description="Longest wait.")
    profile: PortalProfile = PortalProfile()

    @model_validator(mode="after")
    def _no_clear_text_password(self) -> PortalSettings:
        """Refuse plain HTTP beyond this machine: the login form would send the password and
        the deposited files (personal data) in clear on the network."""
        if urlsplit(self.base_url).scheme.lower() == "http" and not self.allow_insecure_http:
            host = urlsplit(self.base_url).hostname or ""
            if not is_loopback(host):
                raise ValueError(
                    f"base_url {self.base_url!r} uses plain http:// to {host}: the portal "
                    "password and the certified persons' data would cross the network in clear. "
                    "Use https://, or set allow_insecure_http = true in [portal] if this network "
                    "is trusted (a test portal on your own LAN)"
                )
        return self


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
