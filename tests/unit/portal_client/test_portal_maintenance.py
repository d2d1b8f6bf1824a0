"""Maintenance pages: their announced end, and retries that wait for it (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.errors import PortalMaintenance, PortalUnavailable
from portal.maintenance import PARIS, maintenance_end, maintenance_error
from portal.profile import PortalProfile
from portal.retry import RetryPolicy

PATTERN = PortalProfile().maintenance_end_pattern


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("reprendront à la fin de la maintenance, prévue le 29/11/2026 23:40:15.", (23, 40, 15)),
        ("Maintenance jusqu'au 29/11/2026 à 23h40", (23, 40, 0)),
        ("Site indisponible jusqu'au 29/11/2026 23:40", (23, 40, 0)),
    ],
)
def test_maintenance_end_read_from_the_page(text: str, end: tuple[int, int, int]) -> None:
    """Day/month/year and hour:minute[:second], in Paris time."""
    assert maintenance_end(text, PATTERN) == datetime(2026, 11, 29, *end, tzinfo=PARIS)


@pytest.mark.parametrize("text", ["Maintenance en cours.", "le 31/02/2026 25:99", ""])
def test_maintenance_without_a_valid_end(text: str) -> None:
    """No date, or an impossible one: no end."""
    assert maintenance_end(text, PATTERN) is None


def test_maintenance_error_says_maintenance_and_until() -> None:
    """The message says maintenance and its end, never an HTTP status."""
    now = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # 23:00 in Paris
    error = maintenance_error("history", "Maintenance prévue le 29/11/2026 23:30:00", PATTERN, now)
    assert "in maintenance until 29/11/2026 23:30 (Paris time)" in error.message
    assert error.seconds_left == 1800
    vague = maintenance_error("history", "Maintenance", PATTERN, now)
    assert vague.seconds_left is None
    assert "gives no end time" in vague.message


def test_retry_waits_for_the_announced_end_or_gives_up_at_once() -> None:
    """Within the budget: one wait until the end; past it: no pointless retries."""
    waits: list[float] = []
    outcomes: list[Exception | str] = [PortalMaintenance("m", seconds_left=120.0), "ok"]

    def action() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=4, total_s=600, base_delay_s=1, sleep=waits.append)
    assert policy.run("step", action) == "ok"
    assert waits == [120.0]
    waits.clear()
    with pytest.raises(PortalMaintenance, match="gave up after 1 attempt") as info:
        policy.run("step", lambda: (_ for _ in ()).throw(PortalMaintenance("m", seconds_left=3600)))
    assert waits == []
    assert info.value.seconds_left == 3600
    with pytest.raises(PortalUnavailable):
        policy.run("step", lambda: (_ for _ in ()).throw(PortalUnavailable("HTTP 500")))
    assert len(waits) == 3
