"""Bad rows whose idTechnique is known: invalid passages with reasons, and their correction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.config import Config
from agent.context import RunContext
from agent.deposit import RunOptions, run_deposit
from agent.inbox import ImportResult, import_inbox
from agent.invalid import reason
from agent.lifecycle import PassageStatus
from agent.paths import AgentPaths
from agent.rows import Passage
from agent.store import Store
from builders.exports.results import RowError
from portal.fake import FakePortal
from tests.agent.helpers import factory, inbox, make_config, row, write_export

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config in tmp_path."""
    return make_config(tmp_path)


def import_rows(config: Config, name: str, rows: list[dict[str, str]]) -> ImportResult:
    """Write one export in the inbox and import it."""
    write_export(inbox(config) / name, rows)
    with Store.open(AgentPaths.from_config(config).db, now=lambda: NOW) as store:
        [result] = import_inbox(
            store, RunContext.create(config, now=lambda: NOW, progress=lambda _line: None)
        )
    return result


def passage(config: Config, id_technique: str) -> Passage:
    """The passage with this idTechnique (default emitter)."""
    with Store.open(AgentPaths.from_config(config).db) as store:
        found = store.passage("12ABC345", id_technique)
    assert found is not None
    return found


def event_kinds(config: Config) -> list[str]:
    """The kinds of the logged events, oldest first."""
    with Store.open(AgentPaths.from_config(config).db) as store:
        return [event.kind for event in store.events(limit=1000)]


def deposit(config: Config, fake: FakePortal) -> None:
    """One run of the workflow with the fake portal."""
    run_deposit(
        RunContext.create(config, now=lambda: NOW, progress=lambda _line: None),
        portal_factory=factory(fake),
        options=RunOptions(),
    )


def test_invalid_row_becomes_a_passage_with_reasons(config: Config) -> None:
    """A bad row with an id is an invalid passage; one without an id is only counted."""
    result = import_rows(
        config,
        "export.csv",
        [
            row("A1"),
            row("C3", sexe="X", mentionValidee="Génial", jourNaissance="31", moisNaissance="2"),
            row(""),
        ],
    )
    assert (result.valid, result.invalid, result.unidentified) == (1, 2, 1)
    assert result.outcomes == {"new": 1, "invalid": 1}
    bad = passage(config, "C3")
    assert bad.status is PassageStatus.INVALID
    assert (bad.certification_code, bad.holder) == ("RNCP34567", "?")
    assert (bad.delivery_date, bad.deadline) == (dt.date(2024, 6, 28), dt.date(2024, 9, 28))
    assert bad.reasons == (
        "mentionValidee: expected one of: SANS_MENTION, MENTION_ASSEZ_BIEN, MENTION_BIEN, "
        "MENTION_TRES_BIEN, MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY (value 'Génial')",
        "sexe: expected one of: M, F",
        "jourNaissance: … is not a real calendar date",
    )
    joined = " ".join(bad.reasons)
    assert "'X'" not in joined and "1990" not in joined and "-02-" not in joined
    assert "(value 'Génial')" in joined
    with Store.open(AgentPaths.from_config(config).db) as store:
        [source] = store.sources()
    assert (source.invalid, source.unidentified) == (2, 1)
    assert source.moved_to == str(config.agent.inbox / "imported" / "export.csv")


def test_invalid_reason_hides_identity_values() -> None:
    """Identity fields never quote their value; other fields do."""
    nir = RowError("f.csv", 2, "nir", "185057800608436", "NIR key 36 is wrong for 1850578006084")
    assert reason(nir) == "nir: NIR key … is wrong for …"
    name = RowError("f.csv", 2, "nomNaissance", "N" * 61, "at most 60 characters")
    assert reason(name) == "nomNaissance: at most 60 characters"
    country = RowError("f.csv", 2, "codePaysNaissance", "123", "must be 350 for codeInsee 99350")
    assert reason(country) == "codePaysNaissance: must be … for codeInsee …"
    date = RowError("f.csv", 2, "dateDebutValidite", "hier", "expected a date")
    assert reason(date) == "dateDebutValidite: expected a date (value 'hier')"


def test_invalid_corrected_reimport_is_pending_then_deposited(config: Config) -> None:
    """A corrected row moves an invalid passage to pending; the next run deposits it."""
    import_rows(config, "first.csv", [row("C3", sexe="X")])
    assert passage(config, "C3").status is PassageStatus.INVALID
    result = import_rows(config, "second.csv", [row("C3")])
    assert result.outcomes == {"reopened": 1}
    fixed = passage(config, "C3")
    assert (fixed.status, fixed.holder) == (PassageStatus.PENDING, "É.M. 1990")
    assert "reopened" in event_kinds(config)
    fake = FakePortal(clock=lambda: NOW)
    deposit(config, fake)
    assert passage(config, "C3").status is PassageStatus.DEPOSITED
    assert len(fake.uploads) == 1


def test_invalid_row_for_a_deposited_passage_leaves_it(config: Config) -> None:
    """A bad row for an id already deposited does not touch it; the report says so."""
    write_export(inbox(config) / "a.csv", [row("A1")])
    deposit(config, FakePortal(clock=lambda: NOW))
    before = passage(config, "A1")
    assert before.status is PassageStatus.DEPOSITED
    result = import_rows(config, "b.csv", [row("A1", sexe="X")])
    assert result.outcomes == {"kept": 1}
    assert passage(config, "A1") == before
    assert result.error_report is not None
    report = Path(result.error_report).read_text(encoding="utf-8")
    assert "this passage is already deposited: the invalid row was ignored" in report
    assert "sexe" in report


def test_invalid_row_turns_a_pending_passage_invalid(config: Config) -> None:
    """A newer bad row for a pending passage makes it invalid (never deposit older data)."""
    import_rows(config, "a.csv", [row("P1")])
    result = import_rows(config, "b.csv", [row("P1", sexe="X")])
    assert result.outcomes == {"invalidated": 1}
    found = passage(config, "P1")
    assert found.status is PassageStatus.INVALID
    assert found.reasons == ("sexe: expected one of: M, F",)
    assert found.holder == "É.M. 1990"  # the summary of the earlier valid row is kept
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert store.record_json(found.id) is None
    assert event_kinds(config).count("invalidated") == 1


def test_invalid_row_turns_a_rejected_passage_invalid(config: Config) -> None:
    """A bad row for a rejected passage makes it invalid with the new reasons."""
    import_rows(config, "a.csv", [row("R1")])
    with Store.open(AgentPaths.from_config(config).db) as store:
        pid = passage(config, "R1").id
        store.add_batch(
            name="b.xml",
            path="/b.xml",
            sha256="0" * 64,
            size=1,
            schema_version="1.1.5",
            id_flux="x",
            fingerprint="f",
            passage_ids=[pid],
        )
        store.set_passage_status(pid, PassageStatus.DEPOSITED)
        store.set_passage_status(pid, PassageStatus.REJECTED, message="Aucun titulaire")
    result = import_rows(config, "b.csv", [row("R1", sexe="X")])
    assert result.outcomes == {"invalidated": 1}
    found = passage(config, "R1")
    assert (found.status, found.cdc_message) == (PassageStatus.INVALID, None)
    assert found.reasons == ("sexe: expected one of: M, F",)


def test_invalid_row_repeating_an_id_of_the_file_leaves_it(config: Config) -> None:
    """A bad row with the id of an earlier valid row of the same file does not touch it."""
    result = import_rows(config, "a.csv", [row("A1"), row("A1", sexe="X")])
    assert result.outcomes == {"new": 1, "repeated": 1}
    assert passage(config, "A1").status is PassageStatus.PENDING
    assert result.error_report is not None
    report = Path(result.error_report).read_text(encoding="utf-8")
    assert "an earlier row of this file has this idTechnique" in report


def test_invalid_row_without_emitter_is_only_reported(config: Config) -> None:
    """A bad emitter BCR leaves the row's passage unknown: only in the report, counted."""
    result = import_rows(config, "a.csv", [row("E1", idClientEmetteur="TOO-LONG-BCR")])
    assert (result.invalid, result.unidentified, result.outcomes) == (1, 1, {})
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert store.passages() == []


def test_same_holder_already_in_store_under_another_id_is_refused(config: Config) -> None:
    """A later file declaring a stored holder and certification under a new id: refused."""
    import_rows(config, "a.csv", [row("A1", prenom1="Élodie")])
    result = import_rows(config, "b.csv", [row("A2", prenom1="Élodie"), row("B1", prenom1="Zoé")])
    assert (result.valid, result.invalid) == (1, 1)
    assert result.error_report is not None
    report = Path(result.error_report).read_text(encoding="utf-8-sig")
    assert (
        "the same holder and certification are already in the store under idTechnique A1 "
        "(pending): one certificate would be declared twice"
    ) in report
    with Store.open(AgentPaths.from_config(config).db) as store:
        assert sorted(p.id_technique for p in store.passages()) == ["A1", "B1"]
    again = import_rows(config, "c.csv", [row("A1", prenom1="Élodie", mentionValidee="Bien")])
    assert again.outcomes == {"updated": 1}  # the same id is a correction, not a duplicate


def test_rows_looked_up_by_chunks_keep_every_row_by_row_outcome(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rows go in together (agent.intake.FreshRows), but chunks of 2 rows mixing new
    rows, an update, a bad row and a stored holder under a new id end as row by row would."""
    import_rows(config, "a.csv", [row("A1", prenom1="Élodie"), row("B1", prenom1="Zoé")])
    monkeypatch.setattr("agent.inbox.CHUNK_ROWS", 2)
    result = import_rows(
        config,
        "b.csv",
        [
            row("N1", prenom1="Anne"),
            row("A2", prenom1="Zoé"),  # B1's holder under a new id: refused
            row("A1", prenom1="Élodie", mentionValidee="Bien"),  # updated
            row("N2", prenom1="Bruno"),
            row("B1", prenom1="Zoé", sexe="X"),  # bad row: B1 invalid now
            row("N3", prenom1="Chloé"),
            row("N4", prenom1="Chloé"),  # N3's holder in the same file: refused
        ],
    )
    assert (result.valid, result.invalid) == (4, 3)
    assert result.outcomes == {"new": 3, "updated": 1, "invalidated": 1}
    assert passage(config, "B1").status is PassageStatus.INVALID
    with Store.open(AgentPaths.from_config(config).db) as store:
        found = {p.id_technique: p for p in store.passages()}
        assert sorted(found) == ["A1", "B1", "N1", "N2", "N3"]
        assert all(store.record_json(found[i].id) for i in ("A1", "N1", "N2", "N3"))
        assert store.passage_counts() == {"pending": 4, "invalid": 1}
    # The new passages got their holder keys: the same holder under another id is refused.
    again = import_rows(config, "c.csv", [row("X9", prenom1="Bruno")])
    assert (again.valid, again.invalid) == (0, 1)
    assert again.error_report is not None
    assert "under idTechnique N2 (pending)" in Path(again.error_report).read_text("utf-8-sig")
