"""Issue 11 end to end: real agent subprocesses, real Chromium, the real replica over HTTP.

The replica here shows its history 2 rows a page, so every test also proves the agent reads
past the first page. Hostile reports are played by altering the report the replica produced.
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import CANARY_PASSWORD, Agent, make_agent, rows_for, uploaded_ids
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ONE_PER_FILE = "[build]\nmax_passages_per_file = 1\n"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One real replica for the module, 2 history rows a page."""
    with running_sandbox(
        tmp_path_factory.mktemp("replica"),
        processing_delay_s=0.5,
        password=CANARY_PASSWORD,
        history_page_size=2,
    ) as handle:
        yield handle


@contextmanager
def held_processing(sandbox: SandboxHandle) -> Iterator[None]:
    """The replica processes nothing during the block; then everything at once."""
    sandbox.set_faults(processing_delay_s=600)
    try:
        yield
    finally:
        sandbox.set_faults(processing_delay_s=0)


def _out(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def _batches(agent: Agent) -> dict[str, dict[str, str]]:
    return {b["name"]: b for b in agent.json("status")["batches"]}


def test_e2e_bad_reports_hold_only_their_batch(
    tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path
) -> None:
    """A report for another file and an oversized one are quarantined; the third batch is
    accepted in the same run; nothing of the bad reports is applied or fetched again."""
    agent = make_agent(
        tmp_path / "agent",
        sandbox,
        keyring_files,
        config=ONE_PER_FILE,
        portal="max_document_bytes = 100000\n",
    )
    agent.drop("export.csv", rows_for("QUAR", 3))
    with held_processing(sandbox):
        first = agent.run("deposit", "now")
    assert first.returncode == 0, first.stdout + first.stderr
    foreign, huge, good = sorted(_batches(agent))
    for name in (foreign, huge, good):
        sandbox.wait_for_status(name)
    path = sandbox.report_file(foreign)
    path.write_bytes(path.read_bytes().replace(foreign.encode(), b"someone-else.xml"))
    path = sandbox.report_file(huge)
    path.write_bytes(path.read_bytes().replace(b"</rapport>", b" " * 3_000_000 + b"</rapport>"))
    second = agent.run("deposit", "now", "--wait")
    assert second.returncode == 1, second.stdout + second.stderr
    assert "QUARANTINED" in _out(second)
    batches = _batches(agent)
    assert batches[good]["status"] == "accepted"
    assert batches[foreign]["status"] == "report_quarantined"
    assert "nomFichier is 'someone-else.xml'" in batches[foreign]["message"]
    assert batches[huge]["status"] == "report_quarantined"
    assert "larger than [portal] max_document_bytes" in batches[huge]["message"]
    assert agent.json("status")["passages"] == {"accepted": 1, "deposited": 2}
    third = agent.run("deposit", "now", "--wait")
    assert third.returncode == 0, third.stdout + third.stderr
    kinds = [e["kind"] for e in agent.json("log")]
    assert kinds.count("report_quarantined") == 2
    detail = agent.json("status", foreign.removesuffix(".xml"))
    assert [d["kind"] for d in detail["documents"]].count("accuse_traitement") == 1
    reports = list((agent.data_dir / "documents").rglob("*accuse_traitement*"))
    assert huge.removesuffix(".xml") not in " ".join(p.name for p in reports)


def test_e2e_unknown_label_on_other_rows_ignored_on_ours_held(
    tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path
) -> None:
    """A label the profile lacks on someone else's row blocks nothing; on ours it holds only
    that batch, with a message naming the label, until the profile knows it."""
    other = make_agent(tmp_path / "other", sandbox, keyring_files)
    other.drop("export.csv", rows_for("LABEL-OTHER", 1))
    assert other.run("deposit", "now", "--wait").returncode == 0
    sandbox.set_faults(labels={"PROCESSED": "Archivé"})
    try:
        agent = make_agent(tmp_path / "agent", sandbox, keyring_files)
        agent.drop("export.csv", rows_for("LABEL-MINE", 2))
        run = agent.run("deposit", "now", "--wait", "--timeout", "8")
        assert "uploaded" in _out(run)
        [name] = _batches(agent)
        sandbox.wait_for_status(name, "PROCESSED")
        held = agent.run("deposit", "now")
        assert held.returncode == 1, held.stdout + held.stderr
        assert "'Archivé'" in _out(held)
        assert "[portal.profile.status_labels]" in _out(held)
        assert _batches(agent)[name]["status"] == "uploaded"
    finally:
        sandbox.set_faults(labels={})
    done = agent.run("deposit", "now")
    assert done.returncode == 0, done.stdout + done.stderr
    assert agent.json("status")["passages"] == {"accepted": 2}


def test_e2e_interrupted_upload_found_on_a_later_history_page(
    tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path
) -> None:
    """Killed right after the upload, restarted after others deposited 5 files: the file is
    found on a later page of the history and is not sent again."""
    agent = make_agent(tmp_path / "agent", sandbox, keyring_files)
    agent.drop("export.csv", rows_for("PAGED", 2))
    crashed = agent.run("deposit", "now", crash_at="after_upload")
    assert crashed.returncode != 0
    [name] = _batches(agent)
    others = make_agent(tmp_path / "others", sandbox, keyring_files, config=ONE_PER_FILE)
    others.drop("export.csv", rows_for("PAGED-OTHER", 5))
    assert others.run("deposit", "now").returncode == 0
    names = [d["file_name"] for d in sandbox.deposits()]
    assert names.index(name) >= 4  # beyond the first two pages of 2 rows
    again = agent.run("deposit", "now", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "interrupted upload had arrived" in _out(again)
    assert [d["file_name"] for d in sandbox.deposits()].count(name) == 1
    assert sorted(i for i in uploaded_ids(sandbox) if i.startswith("PAGED-0")) == [
        "PAGED-000",
        "PAGED-001",
    ]
    assert agent.json("status")["passages"] == {"accepted": 2}


def test_e2e_maintenance_reported_as_maintenance(agent: Agent, sandbox: SandboxHandle) -> None:
    """During a maintenance the run says so, with its end, not "HTTP 503"; then it deposits."""
    agent.drop("export.csv", rows_for("MAINT", 1))
    sandbox.set_faults(maintenance_for_s=3600)
    try:
        run = agent.run("deposit", "now")
    finally:
        sandbox.set_faults(maintenance_for_s=0)
    assert run.returncode == 1
    assert "in maintenance until" in _out(run)
    assert "HTTP 503" not in _out(run)
    done = agent.run("deposit", "now", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert agent.json("status")["passages"] == {"accepted": 1}


def test_e2e_plain_http_to_another_host_refused(agent: Agent) -> None:
    """A clear-text portal address beyond this machine is refused before anything runs."""
    config = agent.root / "accrochage.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("base_url = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + 'base_url = "http://192.0.2.10:8765"' + text[end:])
    run = agent.run("deposit", "now")
    assert run.returncode == 78  # EX_CONFIG: a config error
    assert "in clear" in _out(run)
    assert "allow_insecure_http = true" in _out(run)
    assert not (agent.data_dir / "agent.sqlite3").exists()


def test_e2e_rejects_csv_cannot_run_formulas_and_reimports(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """Cells starting a formula are quote-prefixed in rejects --csv; the corrected file,
    re-imported, gives back the same ids and values and is accepted."""
    agent.drop(
        "export.csv",
        # Names refuse digits and symbols (= and + among them): the formula-like cells are a
        # name starting with - or @ and a free-text libelleOption starting with =.
        rows_for(
            "-CSV",
            1,
            nomNaissance="Inconnu",
            prenom1="@lice",
            nomUsage="-Durand",
            libelleOption="=1+1",
        ),
    )
    first = agent.run("deposit", "now", "--wait")
    assert first.returncode == 0, first.stdout + first.stderr
    out = agent.root / "fix.csv"
    agent.json("rejects", "--csv", str(out))
    with out.open(encoding="utf-8", newline="") as handle:
        [line] = list(csv.DictReader(handle, delimiter=";"))
    assert (line["idTechnique"], line["prenom1"], line["nomUsage"], line["libelleOption"]) == (
        "'-CSV-000",
        "'@lice",
        "'-Durand",
        "'=1+1",
    )
    line["nomNaissance"] = "Connu"
    agent.drop("fix.csv", [line])
    second = agent.run("deposit", "now", "--wait")
    assert second.returncode == 0, second.stdout + second.stderr
    assert agent.json("status")["passages"] == {"accepted": 1}
    sent = [i for i in uploaded_ids(sandbox) if i.startswith("-CSV")]
    assert sent == ["-CSV-000", "-CSV-000"]
    assert json.dumps(agent.json("rejects")).count("@lice") == 0
