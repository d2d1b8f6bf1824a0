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
    retry_attempts: int = Field(default=4, ge=1, le=20)
    retry_total_s: float = Field(default=1800.0, gt=0)
    profile: PortalProfile = PortalProfile()
