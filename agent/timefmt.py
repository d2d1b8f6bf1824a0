"""Times shown to people: one timezone everywhere, the schedule's (``[agent] timezone``).

The store and the JSON outputs keep ISO 8601 with an offset; only human renderings (text
output, log lines, messages) go through :func:`human_time`.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo


def human_time(value: str | dt.datetime | None, tz: str | ZoneInfo) -> str:
    """``value`` (an aware datetime or its ISO text) as ``YYYY-MM-DD HH:MM:SS TZ`` in ``tz``.

    A value that is not a timestamp (None, a plain date, free text) comes back unchanged.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    if when.tzinfo is None:
        return str(value)
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


class ZoneFormatter(logging.Formatter):
    """Log lines stamped in one timezone, with its abbreviation."""

    def __init__(self, fmt: str, tz: str) -> None:
        super().__init__(fmt)
        self._zone = ZoneInfo(tz)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        """The record's time in the configured timezone."""
        when = dt.datetime.fromtimestamp(record.created, self._zone)
        return when.strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_in_timezone(tz: str) -> None:
    """Stamp the root logger's lines in ``tz`` (once the config, hence the zone, is known)."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(ZoneFormatter(LOG_FORMAT, tz))
