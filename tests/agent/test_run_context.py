"""The run context: built once per run, paths and fingerprint computed once, the crash
checkpoint injected (never read from the environment by the workflow)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

import agent.build
from agent.checkpoint import CHECKPOINTS, no_checkpoint
from agent.config import Config
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.paths import AgentPaths
from agent.schedule import Jobs
from agent.testhooks import CRASH_ENV, EXIT_STATUS, crash_checkpoint
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, make_config, report_xml, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts AgentPaths.from_config and fingerprint calls, wherever they are called from."""
    counted: Counter[str] = Counter()
    from_config = AgentPaths.from_config.__func__  # type: ignore[attr-defined]
    original = agent.build.fingerprint

    def counting_paths(cls: type[AgentPaths], config: Config) -> AgentPaths:
        counted["paths"] += 1
        return from_config(cls, config)  # type: ignore[no-any-return]

    def counting_fingerprint(config: Config) -> str:
        counted["fingerprint"] += 1
        return original(config)

    monkeypatch.setattr(AgentPaths, "from_config", classmethod(counting_paths))
    for module in list(sys.modules.values()):
        if getattr(module, "fingerprint", None) is original:
            monkeypatch.setattr(module, "fingerprint", counting_fingerprint)
    return counted


def _processing_sleep(fake: FakePortal, ok: list[str]) -> object:
    def sleep(_seconds: float) -> None:
        for name in fake.uploads:
            fake.process(name, report_xml(name, ok=ok))

    return sleep


def test_a_run_computes_paths_and_fingerprint_once(tmp_path: Path, calls: Counter[str]) -> None:
    """Import, build, deposit, wait and collect: one layout and one fingerprint for the run
    (the steps used to compute the layout four times and the fingerprint twice)."""
    config = make_config(tmp_path)
    write_export(inbox(config) / "a.csv", [row("A1"), row("B2")])
    write_export(inbox(config) / "b.csv", [row("C3")])
    fake = FakePortal(clock=lambda: NOW)
    run = RunContext.create(config, now=lambda: NOW, progress=lambda _line: None)
    assert calls == {"paths": 1, "fingerprint": 1}
    summary = run_deposit(
        run,
        portal_factory=factory(fake),  # type: ignore[arg-type]
        options=RunOptions(wait=True, poll_interval_s=1, timeout_s=60),
        sleep=_processing_sleep(fake, ["A1", "B2", "C3"]),  # type: ignore[arg-type]
    )
    assert summary.ok, summary.errors
    assert len(summary.imported) == 2 and summary.uploaded and summary.processed
    assert calls == {"paths": 1, "fingerprint": 1}


def test_the_checkpoint_sees_every_step_in_order(tmp_path: Path) -> None:
    """The injected checkpoint is called at each named step, in the workflow's order."""
    config = make_config(tmp_path)
    write_export(inbox(config) / "a.csv", [row("A1")])
    fake = FakePortal(clock=lambda: NOW)
    reached: list[str] = []
    run = RunContext.create(
        config, now=lambda: NOW, progress=lambda _line: None, checkpoint=reached.append
    )
    summary = run_deposit(
        run,
        portal_factory=factory(fake),  # type: ignore[arg-type]
        options=RunOptions(wait=True, poll_interval_s=1, timeout_s=60),
        sleep=_processing_sleep(fake, ["A1"]),  # type: ignore[arg-type]
    )
    assert summary.ok, summary.errors
    assert reached == list(CHECKPOINTS)


def test_the_service_computes_paths_once_and_a_fingerprint_per_run(
    tmp_path: Path, calls: Counter[str]
) -> None:
    """The scheduler's jobs share the layout computed at start; each run gets its own
    context (an XSD imported while the service runs counts from the next run)."""
    config = make_config(tmp_path)
    reached: list[str] = []
    fake = FakePortal(clock=lambda: NOW)
    jobs = Jobs(
        config,
        factory(fake),  # type: ignore[arg-type]
        threading.Event(),
        now=lambda: NOW,
        checkpoint=reached.append,
    )
    write_export(inbox(config) / "a.csv", [row("A1")])
    jobs.deposit()
    write_export(inbox(config) / "b.csv", [row("B2")])
    jobs.deposit()
    jobs.notify()
    assert calls == {"paths": 1, "fingerprint": 2}
    assert len(fake.uploads) == 2
    assert reached.count("after_import") == 2 and reached.count("during_upload") == 2


def test_crash_checkpoint_names_one_step() -> None:
    """No step or an unknown one: the production no-op; a known one only acts at its step."""
    assert crash_checkpoint(None) is no_checkpoint
    assert crash_checkpoint("") is no_checkpoint
    assert crash_checkpoint("after_lunch") is no_checkpoint
    hook = crash_checkpoint("after_upload")
    assert hook is not no_checkpoint
    for step in CHECKPOINTS:
        if step != "after_upload":
            hook(step)  # returns: the process is still here


def test_the_workflow_never_reads_the_crash_variable() -> None:
    """Only the CLI entry point turns the test hook into a checkpoint."""
    root = Path(__file__).resolve().parents[2] / "agent"
    readers = sorted(
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if "CRASH_ENV" in path.read_text(encoding="utf-8")
    )
    assert readers == ["agent/cli/main.py", "agent/testhooks.py"]


def _python_m_agent(
    folder: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m agent --config accrochage.toml ARGS`` in ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "agent", "--config", "accrochage.toml", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_python_m_agent_crashes_at_the_named_step(tmp_path: Path, how: str) -> None:
    """`python -m agent` with the hidden option (or the variable) kills the process at the
    step: the import is committed, nothing is built."""
    (tmp_path / "accrochage.toml").write_text(
        '[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n', encoding="utf-8"
    )
    write_export(tmp_path / "data" / "inbox" / "a.csv", [row("A1")])
    hook = ["--test-crash-at", "after_import"] if how == "option" else []
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if how == "environment":
        env[CRASH_ENV] = "after_import"
    crashed = _python_m_agent(tmp_path, env, *hook, "deposit", "now")
    assert crashed.returncode == EXIT_STATUS, crashed.stdout + crashed.stderr
    status = _python_m_agent(tmp_path, env, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"pending": 1' in status.stdout and '"batches": []' in status.stdout


def test_deposit_now_builds_one_context(
    tmp_path: Path, calls: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`deposit now` builds the run's context once: one fingerprint for the whole command."""
    from click.testing import CliRunner

    from agent.cli import cli
    from agent.cli import service as cli_service

    config_path = tmp_path / "accrochage.toml"
    config_path.write_text('[agent]\ndata_dir = "data"\ninbox_settle_s = 0\n', encoding="utf-8")
    write_export(tmp_path / "data" / "inbox" / "a.csv", [row("A1")])
    fake = FakePortal(clock=lambda: NOW)
    monkeypatch.setattr(cli_service, "default_portal_factory", lambda _c, _g, _p: factory(fake))
    created: list[RunContext] = []
    original = RunContext.create.__func__  # type: ignore[attr-defined]

    def counting_create(cls: type[RunContext], *args: object, **kwargs: object) -> RunContext:
        created.append(original(cls, *args, **kwargs))
        return created[-1]

    monkeypatch.setattr(RunContext, "create", classmethod(counting_create))
    result = CliRunner().invoke(cli, ["--config", str(config_path), "deposit", "now", "--json"])
    assert result.exit_code == 0, result.output
    assert fake.uploads and len(created) == 1 and calls == {"paths": 1, "fingerprint": 1}
