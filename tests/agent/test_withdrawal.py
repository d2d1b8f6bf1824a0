"""Withdrawals and corrections at the CDC, against FakePortal: SUPPRESSION files through the
batch lifecycle, their reports, and corrections sent SUPPRESSION first, CREATION after its OK."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from agent.collect import SUPPRESSION_FILE_HINT
from agent.config import AgentSettings, Config
from agent.lifecycle import BatchStatus
from agent.views import rejects_view, status_view
from agent.withdrawal import (
    WITHDRAWAL_HINT,
    WithdrawalError,
    no_suppression,
    request_corrections,
    request_withdrawals,
)
from builders.cdc.messages import duplicate_message
from builders.settings import BuildSettings
from portal.base import DepositState
from portal.fake import FakePortal
from tests.agent.helpers import inbox, report_xml, row, write_export, xsd_error_report
from tests.agent.test_deposit import NOW, open_store, run, statuses

CPF = {"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}
#: The replica's answer to a SUPPRESSION of a passage it does not hold (its own text).
UNKNOWN = (
    "Le passage certification avec le bcr émetteur 12ABC345 et l'id technique partenaire A1 "
    "n'existe pas en base"
)


@pytest.fixture(scope="module")
def xsd115(shared_cdc: Path) -> etree.XMLSchema:
    """The official 1.1.5 XSD (the oracle)."""
    return etree.XMLSchema(etree.parse(str(shared_cdc / "cdc-certifications-1.1.5.xsd")))


def _accepted(config: Config, fake: FakePortal, *ids: str) -> None:
    """Import, deposit and get ``ids`` accepted."""
    write_export(inbox(config) / "first.csv", [row(i) for i in ids])
    name = run(config, fake).built[0]
    fake.process(name, report_xml(name, ok=ids))
    run(config, fake)
    assert set(statuses(config).values()) == {"accepted"}


def _withdraw(config: Config, *ids: str, reason: str | None = None) -> list[str]:
    with open_store(config) as store:
        return request_withdrawals(store, ids, emitter=None, reason=reason, settings=config.build)


def _suppression_answered(
    config: Config, fake: FakePortal, ok: list[str] | None = None, ko: dict[str, str] | None = None
) -> str:
    """A1 accepted, withdrawn at the CDC, its SUPPRESSION answered; the file's name."""
    _accepted(config, fake, "A1")
    _withdraw(config, "A1")
    [name] = run(config, fake).built
    state = DepositState.PROCESSED_WITH_ERRORS if ko else DepositState.PROCESSED
    fake.process(name, report_xml(name, ok=ok or [], ko=ko), state)
    run(config, fake)
    return name


def _action(fake: FakePortal, name: str) -> str | None:
    root = etree.fromstring(fake.uploaded_content(name))
    return root.findtext("cpf:action", namespaces=CPF)


def test_withdraw_at_cdc_ok_then_withdrawn_with_its_date(
    config: Config, fake: FakePortal, xsd115: etree.XMLSchema
) -> None:
    """An accepted passage: SUPPRESSION built, XSD-valid, uploaded; report OK -> withdrawn."""
    _accepted(config, fake, "A1", "B2")
    assert _withdraw(config, "A1", reason="certificate revoked") == ["A1"]
    assert statuses(config) == {"A1": "withdrawing", "B2": "accepted"}
    summary = run(config, fake)
    [name] = summary.built
    assert "-suppression-" in name and summary.uploaded == [name]
    document = etree.fromstring(fake.uploaded_content(name))
    assert xsd115.validate(document), xsd115.error_log
    assert _action(fake, name) == "SUPPRESSION"
    assert document.xpath("//cpf:idTechnique/text()", namespaces=CPF) == ["A1"]
    fake.process(name, report_xml(name, ok=["A1"]))
    run(config, fake)
    assert statuses(config) == {"A1": "withdrawn", "B2": "accepted"}
    with open_store(config) as store:
        [passage] = store.passages_with_id_technique("A1")
        batch = store.batch_by_name(name)
        kinds = [e.kind for e in store.events(limit=100)]
        view = status_view(store, today=NOW.date(), within_days=15)
    assert passage.withdrawn_at is not None and passage.withdrawn_at.startswith("2026-03-02")
    assert passage.withdraw_reason == "certificate revoked"
    assert batch is not None and batch.status is BatchStatus.ACCEPTED
    assert batch.action == "SUPPRESSION"
    assert "withdraw_requested" in kinds and "withdrawn_at_cdc" in kinds
    assert view["withdrawals"] == [
        {
            "id_technique": "A1",
            "status": "withdrawn",
            "date": "2026-03-02",
            "reason": "certificate revoked",
            "message": None,
            "correction": [],
        }
    ]
    assert run(config, fake).built == [], "a withdrawn passage is never sent again"


def test_withdraw_at_cdc_ko_gives_the_cdc_message_and_a_hint(
    config: Config, fake: FakePortal
) -> None:
    """The CDC refuses the SUPPRESSION: withdraw_rejected, listed by rejects, asked again."""
    name = _suppression_answered(config, fake, ko={"A1": UNKNOWN})
    assert statuses(config) == {"A1": "withdraw_rejected"}
    with open_store(config) as store:
        [reject] = rejects_view(store)
    assert (reject["id_technique"], reject["status"]) == ("A1", "withdraw_rejected")
    assert (reject["cdc_message"], reject["hint"]) == (UNKNOWN, WITHDRAWAL_HINT)
    _withdraw(config, "A1")  # asked again: a new SUPPRESSION file
    again = run(config, fake)
    assert len(again.built) == 1 and again.built[0] != name


def test_withdraw_at_cdc_refusals(config: Config, fake: FakePortal, tmp_path: Path) -> None:
    """Not accepted: the error says plain withdraw; unknown id; schema 1.1.2: no SUPPRESSION."""
    write_export(inbox(config) / "a.csv", [row("P1")])
    run(config, fake)
    with pytest.raises(WithdrawalError, match="passage is deposited: only a passage the CDC"):
        _withdraw(config, "P1")
    with pytest.raises(WithdrawalError, match="ZZ: no passage"):
        _withdraw(config, "ZZ")
    old = config.model_copy(update={"build": BuildSettings(schema_version="1.1.2")})
    with pytest.raises(WithdrawalError) as caught:
        _withdraw(old, "P1")
    assert str(caught.value) == no_suppression("1.1.2")
    assert str(caught.value).startswith("SUPPRESSION does not exist in schema 1.1.2: the CDC ")
    assert 'schema_version = "1.1.5"' in str(caught.value)
    assert statuses(config) == {"P1": "deposited"}


def _correct_row(config: Config, name: str = "second.csv", **changes: str) -> Path:
    return write_export(inbox(config) / name, [row("A1", **changes)])


def test_correction_held_with_the_differences(config: Config, fake: FakePortal) -> None:
    """Other data for an accepted id is a held correction; the same data again is a no-op."""
    _accepted(config, fake, "A1")
    _correct_row(config, nomNaissance="Martine")
    summary = run(config, fake)
    assert summary.built == [] and summary.imported[0].outcomes == {"correction": 1}
    report = Path(summary.imported[0].error_report or "").read_text(encoding="utf-8")
    assert "accepted on 2026-03-02 with other data: nomNaissance 'Martin' -> 'Martine'" in report
    assert "accrochage correct A1" in report
    assert statuses(config) == {"A1": "accepted"}
    # the same correction again, and the accepted data again: nothing new
    write_export(inbox(config) / "third.csv", [row("A1", nomNaissance="Martine"), row("Z8")])
    write_export(inbox(config) / "fourth.csv", [row("A1"), row("Z9")])
    again = run(config, fake)
    assert [r.outcomes for r in again.imported] == [{"unchanged": 1, "new": 1}] * 2
    assert [r.error_report for r in again.imported] == [None, None]
    _correct_row(config, "fifth.csv", nomNaissance="Martine", libelleOption="x")
    assert run(config, fake).imported[0].outcomes == {"correction": 1}
    with open_store(config) as store:
        [passage] = store.passages_with_id_technique("A1")
        events = [e for e in store.events(limit=100) if e.kind == "correction_held"]
    assert passage.correction_fields == ("libelleOption", "nomNaissance")
    assert len(events) == 2 and "Martin" not in events[0].message  # no identity in the log


def test_correction_suppression_first_creation_only_after_its_ok(
    config: Config, fake: FakePortal
) -> None:
    """correct: SUPPRESSION alone; nothing more until its report; OK -> corrected CREATION."""
    _accepted(config, fake, "A1")
    first_upload = list(fake.uploads)
    _correct_row(config, nomNaissance="Martine")
    run(config, fake)
    with open_store(config) as store:
        assert request_corrections(store, ["A1"], emitter=None, settings=config.build) == ["A1"]
    [suppression] = run(config, fake).built
    assert _action(fake, suppression) == "SUPPRESSION"
    assert b"Martine" not in fake.uploaded_content(suppression), "names the accepted record"
    waiting = run(config, fake)  # report not there yet: no CREATION
    assert waiting.built == [] and statuses(config) == {"A1": "withdrawing"}
    fake.process(suppression, report_xml(suppression, ok=["A1"]))
    done = run(config, fake)  # the OK is applied, the CREATION follows in the same run
    [creation] = done.built
    assert done.uploaded == [creation]
    assert _action(fake, creation) == "CREATION" and b"Martine" in fake.uploaded_content(creation)
    assert b"SUPPRESSION" not in fake.uploaded_content(creation)
    assert fake.uploads == [*first_upload, suppression, creation]
    fake.process(creation, report_xml(creation, ok=["A1"]))
    run(config, fake)
    assert statuses(config) == {"A1": "accepted"}
    with open_store(config) as store:
        [passage] = store.passages_with_id_technique("A1")
        kinds = [e.kind for e in store.events(limit=100)]
    assert passage.correction_fields == ()
    assert kinds.index("correction_requested") < kinds.index("corrected")


def test_correction_auto_and_refused_suppression_keeps_it_held(tmp_path: Path) -> None:
    """corrections = "auto": the import asks the SUPPRESSION itself; refused -> no CREATION."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path / "data"),
        build=BuildSettings(corrections="auto"),
    )
    fake = FakePortal(clock=lambda: NOW)
    _accepted(config, fake, "A1")
    _correct_row(config, nomNaissance="Martine")
    summary = run(config, fake)
    [suppression] = summary.built
    assert _action(fake, suppression) == "SUPPRESSION"
    report = Path(summary.imported[0].error_report or "").read_text(encoding="utf-8")
    assert "correcting: SUPPRESSION first" in report
    fake.process(
        suppression, report_xml(suppression, ko={"A1": UNKNOWN}), DepositState.PROCESSED_WITH_ERRORS
    )
    assert run(config, fake).built == []
    assert statuses(config) == {"A1": "withdraw_rejected"}
    with open_store(config) as store:
        [passage] = store.passages_with_id_technique("A1")
    assert passage.correction_held and passage.cdc_message == UNKNOWN


def test_correction_auto_refused_with_schema_112() -> None:
    """corrections = "auto" with schema 1.1.2 is a config error naming the reason."""
    with pytest.raises(ValueError, match=r"SUPPRESSION.*does not exist in schema 1\.1\.2"):
        BuildSettings(schema_version="1.1.2", corrections="auto")


def test_correct_refusals(config: Config, fake: FakePortal) -> None:
    """correct without a held correction, or twice, says why."""
    _accepted(config, fake, "A1")
    with open_store(config) as store, pytest.raises(WithdrawalError, match="no correction held"):
        request_corrections(store, ["A1"], emitter=None, settings=config.build)
    _correct_row(config, nomNaissance="Martine")
    run(config, fake)
    with open_store(config) as store:
        request_corrections(store, ["A1"], emitter=None, settings=config.build)
        with pytest.raises(WithdrawalError, match="already under way"):
            request_corrections(store, ["A1"], emitter=None, settings=config.build)


def test_suppression_file_rejected_is_held_then_released(config: Config, fake: FakePortal) -> None:
    """A SUPPRESSION file refused as a whole: withdraw_rejected (class file); a new XSD
    (fingerprint change) asks the SUPPRESSION again."""
    _accepted(config, fake, "A1")
    _withdraw(config, "A1")
    [name] = run(config, fake).built
    fake.process(name, xsd_error_report(name), DepositState.PROCESSED_WITH_ERRORS)
    run(config, fake)
    assert statuses(config) == {"A1": "withdraw_rejected"}
    with open_store(config) as store:
        [passage] = store.passages_with_id_technique("A1")
        assert passage.cdc_class == "file"
        assert passage.hint == SUPPRESSION_FILE_HINT
        store._conn.execute("UPDATE batches SET fingerprint = 'older' WHERE name = ?", (name,))
    again = run(config, fake)
    assert again.released == 1 and len(again.built) == 1
    assert _action(fake, again.built[0]) == "SUPPRESSION"


def test_correction_with_schema_112_says_what_to_do(config: Config, fake: FakePortal) -> None:
    """Accepted, then the config goes back to 1.1.2: a corrected row is held and the report
    says SUPPRESSION does not exist there and what to do."""
    _accepted(config, fake, "A1")
    old = config.model_copy(update={"build": BuildSettings(schema_version="1.1.2")})
    _correct_row(old, nomNaissance="Martine")
    summary = run(old, fake)
    assert summary.imported[0].outcomes == {"correction": 1} and summary.built == []
    report = Path(summary.imported[0].error_report or "").read_text(encoding="utf-8")
    assert no_suppression("1.1.2").split(":")[0] in report
    assert statuses(old) == {"A1": "accepted"}


def test_withdrawn_passage_row_ignored_with_redeclare_hint(
    config: Config, fake: FakePortal
) -> None:
    """A withdrawn passage's row in a later export is ignored; the report names redeclare."""
    _suppression_answered(config, fake, ok=["A1"])
    write_export(inbox(config) / "later.csv", [row("A1", prenom1="Anne"), row("Z1")])
    summary = run(config, fake)
    report = Path(summary.imported[0].error_report or "").read_text(encoding="utf-8")
    assert "this passage is withdrawn" in report and "accrochage redeclare ID" in report
    assert statuses(config)["A1"] == "withdrawn"


def test_corrected_creation_refused_as_duplicate_is_not_taken_as_accepted(
    config: Config, fake: FakePortal
) -> None:
    """After a SUPPRESSION OK, a "déjà en base" for the corrected CREATION is a rejection:
    the earlier CREATION the CDC deleted does not make it ours."""
    _accepted(config, fake, "A1")
    _correct_row(config, nomNaissance="Martine")
    run(config, fake)
    with open_store(config) as store:
        request_corrections(store, ["A1"], emitter=None, settings=config.build)
    [suppression] = run(config, fake).built
    fake.process(suppression, report_xml(suppression, ok=["A1"]))
    [creation] = run(config, fake).built
    duplicate = {"A1": duplicate_message("12ABC345", "A1")}
    fake.process(creation, report_xml(creation, ko=duplicate), DepositState.PROCESSED_WITH_ERRORS)
    run(config, fake)
    assert statuses(config) == {"A1": "rejected"}
