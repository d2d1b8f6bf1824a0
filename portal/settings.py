"""Settings of the portal client: where the portal is, who logs in, how Chromium runs."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from portal.profile import PortalProfile

REAL_PORTAL_URL = "https://certificateurs.moncompteformation.gouv.fr"


class PortalSettings(BaseModel):
    """``[portal]`` section of the config. The password is never here: it is in the keyring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(default=REAL_PORTAL_URL, pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")
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
    retry_attempts: int = Field(default=4, ge=1, le=20)
    retry_total_s: float = Field(default=1800.0, gt=0)
    retry_base_delay_s: float = Field(
        default=10.0, ge=0, description="First wait between attempts; doubles each time."
    )
    retry_max_delay_s: float = Field(default=300.0, ge=0, description="Longest wait.")
    profile: PortalProfile = PortalProfile()
