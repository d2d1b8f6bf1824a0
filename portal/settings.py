"""Settings of the portal client: where the portal is, who logs in, how Chromium runs."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from portal.profile import PortalProfile

REAL_PORTAL_URL = "https://certificateurs.moncompteformation.gouv.fr"


class PortalSettings(BaseModel):
    """``[portal]`` section of the config. The password is never here: it is in the keyring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        default=REAL_PORTAL_URL, description="The portal's address, without the login path."
    )
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
    def _check_base_url(self) -> Self:
        problem = base_url_problem(self.base_url, self.profile.login_path)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _no_clear_text_password(self) -> Self:
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


def base_url_problem(url: str, login_path: str) -> str | None:
    """What is wrong with ``[portal] base_url``, with the value to write instead; or None.

    Catches the usual mistakes: no scheme (``host:8080``), another scheme, spaces, and the
    login page's address pasted as is (``http://host:8080/espace-prive``, which is how the
    replica and the browser show it): ``[portal.profile] login_path`` is appended to it.
    """
    text = url.strip()
    if not text or any(char.isspace() for char in text):
        return f"[portal] base_url {url!r} must be an address such as {REAL_PORTAL_URL!r}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower() if "://" in text else ""
    if scheme not in {"http", "https"}:
        missing = f"has scheme {scheme!r}" if scheme else "has no scheme"
        return f"[portal] base_url {url!r} {missing}: write {_fixed(text, login_path)!r}"
    if not parts.hostname:
        return f"[portal] base_url {url!r} has no host name"
    if parts.query or parts.fragment or _login_prefix(parts.path, login_path) is not None:
        return (
            f"[portal] base_url {url!r} is a page's address, not the portal's: write "
            f"{_fixed(text, login_path)!r} (the agent adds the login page "
            f"[portal.profile] login_path = {login_path!r} itself)"
        )
    return None


def _login_prefix(path: str, login_path: str) -> str | None:
    """The part of ``path`` before the login page's path, or None when it has none."""
    login = login_path.rstrip("/")
    if not login:
        return None
    found = (path.rstrip("/") + "/").find(login + "/")
    return None if found < 0 else path[:found]


def _fixed(text: str, login_path: str) -> str:
    """``text`` as a base_url: http(s) scheme, no login path, no query."""
    rest = re.sub(r"^(?:https?:?/*|[a-z][a-z0-9+.-]*://|/+)", "", text, flags=re.IGNORECASE)
    given = re.match(r"^(https?)\b", text, flags=re.IGNORECASE)
    scheme = given.group(1).lower() if given else "https"
    parts = urlsplit(f"{scheme}://{rest}")
    path = parts.path.rstrip("/")
    prefix = _login_prefix(path, login_path)
    return f"{scheme}://{parts.netloc}{path if prefix is None else prefix.rstrip('/')}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
