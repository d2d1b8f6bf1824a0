"""Reading a maintenance page: when does it say the maintenance ends?

The CDC portal is French: an end written as ``29/11/2026 23:40`` is Paris time. The pattern
comes from the portal profile (``maintenance_end_pattern``) with named groups ``day``,
``month``, ``year``, ``hour``, ``minute`` and optionally ``second``.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from portal.errors import PortalMaintenance

PARIS = ZoneInfo("Europe/Paris")


def maintenance_end(text: str, pattern: str) -> datetime | None:
    """The end announced in ``text`` (aware, Paris time), or None if it names no valid one."""
    match = re.search(pattern, text)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts.get("second") or 0),
            tzinfo=PARIS,
        )
    except (KeyError, TypeError, ValueError):
        return None


def maintenance_error(what: str, text: str, pattern: str, now: datetime) -> PortalMaintenance:
    """The error for a maintenance page met while doing ``what``.

    Args:
        what: The step, for the message.
        text: The page's visible text.
        pattern: The profile's ``maintenance_end_pattern``.
        now: The current time (aware).
    """
    end = maintenance_end(text, pattern)
    shown = " ".join(text.split())[:200]
    if end is None:
        return PortalMaintenance(
            f"{what}: the portal is in maintenance (its page gives no end time): {shown}"
        )
    left = (end - now).total_seconds()
    return PortalMaintenance(
        f"{what}: the portal is in maintenance until {end:%d/%m/%Y %H:%M} (Paris time): {shown}",
        seconds_left=max(left, 0.0),
    )
