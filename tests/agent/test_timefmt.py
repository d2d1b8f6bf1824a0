"""Human-facing times: one timezone (the schedule's), whatever the machine's."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.timefmt import ZoneFormatter, human_time
from portal.errors import LoginFailed
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, make_config, row, write_export


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2026-01-15T09:30:05+00:00", "Europe/Paris", "2026-01-15 10:30:05 CET"),
        ("2026-07-15T09:30:05+00:00", "Europe/Paris", "2026-07-15 11:30:05 CEST"),
        ("2026-07-15T09:30:05+00:00", "America/Cayenne", "2026-07-15 06:30:05 -03"),
        ("2026-07-15", "Europe/Paris", "2026-07-15"),  # a date is not a time: unchanged
        ("not a time", "Europe/Paris", "not a time"),
        (None, "Europe/Paris", ""),
    ],
)
def test_timefmt_human_time(value: str | None, tz: str, expected: str) -> None:
    """Stored ISO times are shown in the configured zone with its abbreviation."""
    assert human_time(value, tz) == expected


def test_timefmt_log_lines_in_the_schedule_zone() -> None:
    """A log record is stamped in the configured zone, not the machine's."""
    record = logging.LogRecord("agent", logging.INFO, __file__, 1, "hello", None, None)
    record.created = dt.datetime(2026, 1, 15, 9, 30, 5, tzinfo=dt.UTC).timestamp()
    line = ZoneFormatter("%(asctime)s %(levelname)s %(message)s", "Europe/Paris").format(record)
    assert line == "2026-01-15 10:30:05 CET INFO hello"


def test_timefmt_failed_run_summary_logged_at_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed run's one summary line, with its trigger, is logged at ERROR."""
    config = make_config(tmp_path)
    fake = FakePortal()
    fake.fail_next(LoginFailed("refused"), method="login")
    write_export(inbox(config) / "a.csv", [row("A1")])
    with caplog.at_level(logging.INFO, logger="agent.deposit"):
        summary = run_deposit(
            RunContext.create(config, progress=lambda _line: None),
            portal_factory=factory(fake),
            options=RunOptions(),
        )
    assert not summary.ok
    [line] = [r for r in caplog.records if "finished" in r.getMessage()]
    assert line.levelno == logging.ERROR
    assert line.getMessage().startswith("deposit run finished (trigger: manual): imported 1")
