"""Issue 11 in real Chromium against the replica: maintenance, reloads on the spot."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.errors import PortalMaintenance
from tests.contract.helpers import browser_portal, faults
from tests.sandbox_server import SandboxHandle

pytestmark = pytest.mark.browser


def test_browser_maintenance_reported_with_its_end(replica: SandboxHandle, tmp_path: Path) -> None:
    """A maintenance page is reported as maintenance with its end, not as "HTTP 503"."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append, page_retry_attempts=3)
    with portal:
        portal.login()
        maintenance = faults(replica, {"maintenance_for_s": 0}, maintenance_for_s=3600)
        with maintenance, pytest.raises(PortalMaintenance) as info:
            portal.history()
    message = info.value.message
    assert "in maintenance until" in message
    assert "(Paris time)" in message
    assert "HTTP 503" not in message
    assert info.value.seconds_left is not None
    assert 3500 < info.value.seconds_left <= 3600
    assert waits == []  # ends past the retry budget (120 s): not retried in this run


def test_browser_failed_page_reloaded_on_the_spot(replica: SandboxHandle, tmp_path: Path) -> None:
    """An HTTP 500 page is loaded again within the step: no failed attempt, no new login."""
    waits: list[float] = []

    def heal(seconds: float) -> None:
        waits.append(seconds)
        replica.set_faults(error_rate=0.0)

    portal = browser_portal(
        replica, tmp_path, sleep=heal, page_retry_attempts=3, page_retry_delay_s=0.25
    )
    with portal:
        portal.login()
        with faults(replica, {"error_rate": 0.0}, error_rate=1.0):
            history = portal.history()
        reloads = portal.navigator.reloads
    assert isinstance(history, list)
    assert waits == [0.25]
    assert reloads == 1
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").rglob("*.png"))
