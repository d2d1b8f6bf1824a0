"""Helpers for the browser tests: a Playwright client of the replica with test settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from portal.browser import PlaywrightPortal
from portal.profile import PortalProfile
from portal.settings import PortalSettings
from tests.sandbox_server import SandboxHandle


def replica_settings(replica: SandboxHandle, **changes: Any) -> PortalSettings:
    """Client settings for the replica with short timeouts and no waits between attempts."""
    values: dict[str, Any] = {
        "base_url": replica.url,
        "username": replica.username,
        "action_timeout_s": 10.0,
        "confirm_timeout_s": 10.0,
        "download_start_timeout_s": 5.0,
        "retry_attempts": 3,
        "retry_total_s": 120.0,
        "retry_base_delay_s": 0.0,
        "retry_max_delay_s": 0.0,
        "page_retry_attempts": 1,  # no reload on the spot: each failure is a step attempt
        "profile": PortalProfile(),
    }
    values.update(changes)
    return PortalSettings(**values)


def browser_portal(
    replica: SandboxHandle,
    tmp_path: Path,
    *,
    password: str | None = None,
    sleep: Callable[[float], None] = lambda _s: None,
    **changes: Any,
) -> PlaywrightPortal:
    """A Playwright client of the replica, with its dirs under ``tmp_path``."""
    return PlaywrightPortal(
        replica_settings(replica, **changes),
        password_provider=lambda: password if password is not None else replica.password,
        work_dir=tmp_path / "work",
        evidence_dir=tmp_path / "evidence",
        sleep=sleep,
    )


@contextmanager
def faults(replica: SandboxHandle, off: dict[str, Any], **on: Any) -> Iterator[None]:
    """Switch the replica's faults ``on`` for the block, then set ``off`` whatever happens."""
    replica.set_faults(**on)
    try:
        yield
    finally:
        replica.set_faults(**off)
