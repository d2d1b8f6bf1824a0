"""The deposit workflow against FakePortal: the full loop and every failure path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.context import RunContext
from agent.deposit import RunOptions, RunSummary, run_deposit
from agent.lifecycle import BatchStatus
from agent.paths import AgentPaths
from agent.store import Store
from builders.cdc.messages import HOLDER_NOT_FOUND, duplicate_message
from portal.base import DepositState
from portal.errors import DepositRefused, LoginFailed, PortalUnavailable
from portal.fake import FakePortal
from tests.agent.helpers import (
    factory,
    inbox,
    report_xml,
    row,
    write_export,
    xsd_error_report,
)

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def run(config: Config, fake: FakePortal, **options: Any) -> RunSummary:
    """One run with the fake portal and a silent progress."""
    lines: list[str] = []
    return run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lines.append),
        portal_factory=factory(fake),
        options=RunOptions(**options),
        sleep=options.pop("sleep", lambda _s: None) if "sleep" in options else (lambda _s: None),
    )


def open_store(config: Config) -> Store:
    """The run's store, for assertions."""
    return Store.open(AgentPaths.from_config(config).db)


def statuses(config: Config) -> dict[str, str]:
    """idTechnique -> passage status."""
    with open_store(config) as store:
        return {p.id_technique: str(p.status) for p in store.passages()}


def test_deposit_full_loop(config: Config, fake: FakePortal) -> None:
    """Import (with a bad row), build, deposit, collect: every passage ends accepted or rejected."""
    write_export(
        inbox(config) / "export.csv",
        [row("A1"), row("B2"), row("C3", sexe="X"), row("D4"), row("E5", admis="non")],
    )
    first = run(config, fake)
    assert first.ok, first.errors
    assert [r.valid for r in first.imported] == [3]
    assert [(r.invalid, r.skipped) for r in first.imported] == [(1, 1)]
    assert len(first.built) == 1 and first.uploaded == first.built
    name = first.built[0]
    assert fake.uploads == [name]
    moved = config.agent.inbox / "imported" / "export.csv"
    assert moved.is_file() and not (config.agent.inbox / "export.csv").exists()
    errors = (moved.parent / "export.csv.errors.csv").read_bytes().decode("utf-8")
    assert errors.startswith("\ufeffsource;row;field;value;message\r\n")  # Excel-ready
    assert "sexe" in errors and ";4;" in errors
    assert statuses(config) == {
        "A1": "deposited",
        "B2": "deposited",
        "C3": "invalid",
        "D4": "deposited",
    }

    fake.process(
        name,
        report_xml(name, ok=["A1", "D4"], ko={"B2": HOLDER_NOT_FOUND}),
        DepositState.PROCESSED_WITH_ERRORS,
    )
    second = run(config, fake)
    assert second.processed == [name] and second.ok
    assert fake.uploads == [name]  # nothing sent twice
    assert statuses(config) == {
        "A1": "accepted",
        "B2": "rejected",
        "C3": "invalid",
        "D4": "accepted",
    }
    with open_store(config) as store:
        batch = store.batch_by_name(name)
        assert batch is not None
        assert (batch.status, batch.accepted, batch.rejected) == (BatchStatus.PARTLY_REJECTED, 2, 1)
        kinds = sorted(d.kind for d in store.documents(batch.id))
        assert kinds == ["accuse_reception", "accuse_traitement"]
        rejected = store.passage("12ABC345", "B2")
        assert rejected is not None
        assert (rejected.cdc_class, rejected.cdc_message) == ("holder_not_found", HOLDER_NOT_FOUND)
        assert rejected.hint and "birth" in rejected.hint


def test_deposit_same_file_never_imported_twice(config: Config, fake: FakePortal) -> None:
    """An export with the same content is moved aside, not imported again."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    run(config, fake)
    write_export(inbox(config) / "a.csv", [row("A1")])
    summary = run(config, fake)
    assert summary.imported[0].duplicate_of is not None
    assert summary.built == []
    assert len(list((config.agent.inbox / "imported").glob("a*.csv"))) == 2


def test_deposit_lost_confirmation_reconciled_without_resend(
    config: Config, fake: FakePortal
) -> None:
    """An upload whose confirmation failed stays uploading, then is found in the history."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    fake.lose_next_confirmation()
    first = run(config, fake)
    assert not first.ok and "PortalUnavailable" in first.errors[0]
    with open_store(config) as store:
        [batch] = store.batches()
        assert batch.status is BatchStatus.UPLOADING
        [attempt] = [a for a in store.attempts(batch_id=batch.id) if a.kind == "deposit"]
        assert attempt.outcome == "PortalUnavailable"
    second = run(config, fake)
    assert second.ok and second.reconciled == 1
    assert fake.uploads == [batch.name]
    assert statuses(config) == {"A1": "deposited"}


def test_deposit_uploading_absent_from_history_sent_once(config: Config, fake: FakePortal) -> None:
    """A batch left uploading that never reached the portal is sent again, once."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    fake.fail_next(PortalUnavailable("HTTP 500"), method="deposit")
    first = run(config, fake)
    assert not first.ok and fake.uploads == []
    second = run(config, fake)
    assert second.ok
    assert fake.uploads == first.waiting
    with open_store(config) as store:
        kinds = [e.kind for e in store.events(limit=100)]
    assert "reconciled" in kinds


def test_deposit_login_failed_stops_and_keeps_batch(config: Config, fake: FakePortal) -> None:
    """Bad credentials end the run with an error; the built batch waits, nothing uploaded."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    fake.fail_next(LoginFailed("mot de passe incorrect"))
    summary = run(config, fake)
    assert not summary.ok and "LoginFailed" in summary.errors[0]
    with open_store(config) as store:
        assert [b.status for b in store.batches()] == [BatchStatus.BUILT]
        assert any(e.kind == "portal_error" for e in store.events())
    assert fake.uploads == []


def test_deposit_refused_file_holds_passages(config: Config, fake: FakePortal) -> None:
    """A file the portal refuses: batch file_rejected, passages rejected and held."""
    write_export(inbox(config) / "a.csv", [row("A1"), row("B2")])
    fake.fail_next(DepositRefused("fichier illisible"), method="deposit")
    summary = run(config, fake)
    assert summary.refused == summary.built
    assert statuses(config) == {"A1": "rejected", "B2": "rejected"}
    with open_store(config) as store:
        passage = store.passage("12ABC345", "A1")
        assert passage is not None and passage.cdc_class == "file"
        assert passage.hint and "schema import" in passage.hint
    again = run(config, fake)
    assert again.built == [] and fake.uploads == []  # held: cause not fixed


def test_deposit_file_rejected_report_released_after_xsd_import(
    config: Config, fake: FakePortal, shared_cdc: Path
) -> None:
    """A whole-file rejection holds passages until a new XSD is imported, then rebuilds once."""
    from builders.cdc.schemas import import_schema

    write_export(inbox(config) / "a.csv", [row("A1")])
    name = run(config, fake).built[0]
    fake.process(name, xsd_error_report(name), DepositState.PROCESSED_WITH_ERRORS)
    run(config, fake)
    with open_store(config) as store:
        batch = store.batch_by_name(name)
        assert batch is not None and batch.status is BatchStatus.FILE_REJECTED
        assert "cvc-elt.1.a" in (batch.message or "")
    assert statuses(config) == {"A1": "rejected"}
    assert run(config, fake).built == []
    import_schema(shared_cdc / "cdc-certifications-1.1.5.xsd", config.agent.data_dir)
    fixed = run(config, fake)
    assert fixed.released == 1 and len(fixed.built) == 1 and fixed.built[0] != name
    assert fake.uploads == [name, fixed.built[0]]
    assert statuses(config) == {"A1": "deposited"}


def test_deposit_duplicate_counts_as_accepted_only_if_ours(
    config: Config, fake: FakePortal
) -> None:
    """'existe déjà en base' is accepted for a passage we deposited before, else rejected."""
    write_export(inbox(config) / "a.csv", [row("A1"), row("B2")])
    first = run(config, fake).built[0]
    fake.process(
        first,
        report_xml(first, ko={"A1": HOLDER_NOT_FOUND, "B2": duplicate_message("12ABC345", "B2")}),
        DepositState.PROCESSED_WITH_ERRORS,
    )
    run(config, fake)
    assert statuses(config) == {"A1": "rejected", "B2": "rejected"}
    # A1 corrected and re-deposited; the CDC says it already exists (we deposited it before).
    write_export(inbox(config) / "b.csv", [row("A1", prenom1="Elodie")])
    second = run(config, fake).built[0]
    fake.process(
        second,
        report_xml(second, ko={"A1": duplicate_message("12ABC345", "A1")}),
        DepositState.PROCESSED_WITH_ERRORS,
    )
    run(config, fake)
    assert statuses(config) == {"A1": "accepted", "B2": "rejected"}


def test_deposit_reimport_never_resends_accepted(config: Config, fake: FakePortal) -> None:
    """Other data for an accepted passage is held as a correction (reported), never sent."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    name = run(config, fake).built[0]
    fake.process(name, report_xml(name, ok=["A1"]))
    run(config, fake)
    write_export(inbox(config) / "b.csv", [row("A1", prenom1="Autre")])
    summary = run(config, fake)
    assert summary.built == [] and summary.imported[0].outcomes == {"correction": 1}
    report = Path(summary.imported[0].error_report or "").read_text(encoding="utf-8")
    assert f"with other data: prenom1 '{row('A1')['prenom1']}' -> 'Autre'" in report
    assert statuses(config) == {"A1": "accepted"}


def test_deposit_rejected_same_data_stays_rejected(config: Config, fake: FakePortal) -> None:
    """Re-importing the exact data the CDC rejected does not re-send it."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    name = run(config, fake).built[0]
    fake.process(name, report_xml(name, ko={"A1": HOLDER_NOT_FOUND}))
    run(config, fake)
    write_export(inbox(config) / "b.csv", [row("A1"), row("Z9")])
    summary = run(config, fake)
    assert summary.imported[0].outcomes == {"unchanged": 1, "new": 1}
    assert statuses(config) == {"A1": "rejected", "Z9": "deposited"}


def test_deposit_xsd_failure_never_uploaded(
    config: Config, fake: FakePortal, shared_cdc: Path, tmp_path: Path
) -> None:
    """A built file failing the imported XSD is never uploaded; its passages are held."""
    from builders.cdc.schemas import import_schema

    xsd = (shared_cdc / "cdc-certifications-1.1.5.xsd").read_text(encoding="utf-8")
    strict = xsd.replace('name="idTechnique"', 'name="idTechnique" fixed="never"', 1)
    assert strict != xsd
    path = tmp_path / "strict.xsd"
    path.write_text(strict, encoding="utf-8")
    import_schema(path, config.agent.data_dir)
    write_export(inbox(config) / "a.csv", [row("A1")])
    summary = run(config, fake)
    assert summary.built == [] and len(summary.invalid) == 1
    assert fake.uploads == []
    assert statuses(config) == {"A1": "invalid"}
    import_schema(shared_cdc / "cdc-certifications-1.1.5.xsd", config.agent.data_dir)
    fixed = run(config, fake)
    assert fixed.released == 1 and fake.uploads == fixed.built


def test_deposit_tampered_file_rebuilt_not_sent(config: Config, fake: FakePortal) -> None:
    """A built file changed on disk is never uploaded; its passages are rebuilt."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    fake.fail_next(LoginFailed("down"))
    name = run(config, fake).built[0]
    with open_store(config) as store:
        batch = store.batch_by_name(name)
        assert batch is not None
    Path(batch.path).write_bytes(b"<tampered/>")
    summary = run(config, fake)
    assert summary.released == 1 and len(summary.built) == 1
    assert fake.uploads == summary.built and name not in fake.uploads
    with open_store(config) as store:
        assert "retired" in [e.kind for e in store.events(limit=100)]


def test_deposit_wait_polls_until_processed(config: Config, fake: FakePortal) -> None:
    """--wait polls the history until the report is there."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        name = fake.uploads[0]
        fake.process(name, report_xml(name, ok=["A1"]))

    summary = run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(wait=True, poll_interval_s=5, timeout_s=60),
        sleep=sleep,
    )
    assert summary.ok and sleeps == [5] and statuses(config) == {"A1": "accepted"}


def test_deposit_wait_times_out(config: Config, fake: FakePortal) -> None:
    """--wait gives up at the time limit and says so."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    clock = iter(range(0, 1000, 10))
    summary = run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _l: None),
        portal_factory=factory(fake),
        options=RunOptions(wait=True, poll_interval_s=10, timeout_s=30),
        sleep=lambda _s: None,
        monotonic=lambda: float(next(clock)),
    )
    assert summary.timed_out and not summary.ok
    assert summary.waiting == summary.built


def test_deposit_stop_requested_uploads_nothing(config: Config, fake: FakePortal) -> None:
    """A stop request (SIGTERM) before the upload leaves the batch built for the next run."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    summary = run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _l: None),
        portal_factory=factory(fake),
        should_stop=lambda: True,
    )
    assert summary.built and fake.uploads == []
    assert statuses(config) == {"A1": "batched"}


def test_deposit_collect_only_imports_nothing(config: Config, fake: FakePortal) -> None:
    """The collect job neither imports nor builds, and needs no portal when idle."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    summary = run(config, fake, collect_only=True)
    assert summary.imported == [] and summary.built == [] and fake.calls == []
    assert (config.agent.inbox / "a.csv").exists()


def test_deposit_unknown_status_label_reported_not_guessed(
    config: Config, fake: FakePortal
) -> None:
    """A status text the profile does not know stops collection with a clear error."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    name = run(config, fake).built[0]
    fake.set_status_label(name, "Statut inattendu")
    summary = run(config, fake)
    assert not summary.ok and "Statut inattendu" in summary.errors[0]
    assert "status_labels" in summary.errors[0]
    assert statuses(config) == {"A1": "deposited"}
    with open_store(config) as store:
        batch = store.batch_by_name(name)
        assert batch is not None and batch.status is BatchStatus.UPLOADED
