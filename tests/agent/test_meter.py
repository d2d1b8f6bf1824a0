"""Progress of long work: what the workflow reports, and how a terminal draws it."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from agent.cli import cli
from agent.cli import service as cli_service
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.richmeter import RichMeter
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, make_config, report_xml, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


class RecordingMeter:
    """Keeps every call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def start(self, step: str, total: float | None, unit: str, label: str = "") -> None:
        del label  # the bar's text only
        self.calls.append(("start", step, total, unit))

    def advance(self, step: str, amount: float = 1) -> None:
        self.calls.append(("advance", step, amount))

    def finish(self, step: str) -> None:
        self.calls.append(("finish", step))

    def wait(self, seconds: float, what: str, sleep: Callable[[float], None]) -> None:
        self.calls.append(("wait", seconds, what))
        sleep(seconds)


def test_meter_reports_import_build_upload_and_waits(tmp_path: Path) -> None:
    """Rows imported, passages built, bytes uploaded and each wait reach the meter."""
    config = make_config(tmp_path)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1"), row("B2"), row("C3")])
    meter = RecordingMeter()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        for name in list(fake._rows):  # the CDC processes the file while we wait
            fake.process(name, report_xml(name, ok=["A1", "B2", "C3"]))

    summary = run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _line: None, meter=meter),
        portal_factory=factory(fake),
        options=RunOptions(wait=True, poll_interval_s=7),
        sleep=sleep,
    )
    assert summary.ok and summary.processed
    size = (config.agent.data_dir / "batches" / summary.built[0]).stat().st_size
    assert meter.calls == [
        ("start", "import", 3, "rows"),
        *[("advance", "import", 1)] * 3,
        ("finish", "import"),
        ("start", "build", 3, "passages"),
        *[("advance", "build", 1)] * 3,
        ("finish", "build"),
        ("start", "upload", round(size / 1000), "kB"),
        ("advance", "upload", size / 1000),
        ("finish", "upload"),
        ("wait", 7, "waiting for 1 report(s)"),
    ]
    assert waits == [7]


def test_meter_rich_draws_rate_eta_and_countdown() -> None:
    """In a terminal: labelled bars with counts and a rate, then a countdown per second."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    slept: list[float] = []
    with RichMeter(console).shown() as meter:
        meter.start("import", 4, "rows", "a.csv")
        for _ in range(4):
            meter.advance("import")
        meter.finish("import")
        meter.wait(2.5, "waiting for 1 report(s)", slept.append)
    text = out.getvalue()
    assert "importing rows a.csv" in text
    assert "4/4" in text and "rows/s" in text
    assert "waiting for 1 report(s): next check in 3 s" in text
    assert slept == [1.0, 1.0, 0.5]


def test_meter_silent_when_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """deposit now into a pipe: plain lines, no bar, no countdown."""
    config_path = tmp_path / "accrochage.toml"
    config_path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    fake = FakePortal(clock=lambda: NOW)
    monkeypatch.setattr(
        cli_service, "default_portal_factory", lambda _config, _guard, _paths: factory(fake)
    )
    write_export(tmp_path / "data" / "inbox" / "a.csv", [row("A1")])
    result = CliRunner().invoke(cli, ["--config", str(config_path), "deposit", "now"])
    assert result.exit_code == 0, result.output
    assert "uploaded" in result.output
    assert "━" not in result.output and "next check" not in result.output
