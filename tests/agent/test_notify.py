"""Notifications: the event log as an outbox, sent with Apprise to a real local receiver."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.config import AgentSettings, Config, ScheduleSettings
from agent.deposit import RunSummary
from agent.lifecycle import PassageStatus
from agent.notify import AppriseSender, ensure_digest, send_pending, try_destinations
from agent.notify_settings import Destination, NotifySettings
from agent.paths import AgentPaths
from agent.store import Store
from builders.cdc.messages import HOLDER_NOT_FOUND
from portal.base import DepositState
from portal.credentials import CredentialsError
from portal.errors import DepositRefused, LoginFailed, PortalUnavailable
from portal.fake import FakePortal
from tests.agent.conftest import new_passage
from tests.agent.helpers import inbox, quiet_run, report_xml, row, write_export
from tests.notify_receiver import Receiver, running_receiver

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # 11:00 in Paris, after the digest time
RECENT = "01/02/2026"  # delivered 2026-02-01: deadline 2026-05-01, not due within 15 days
SECRETS = {"tok": "s3cr/et"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1."""
    with running_receiver() as running:
        yield running


def make(tmp_path: Path, *urls: Any, **notify: Any) -> Config:
    """A config in tmp_path with these destinations."""
    return Config(
        agent=AgentSettings(data_dir=tmp_path / "data"),
        notify=NotifySettings(urls=list(urls), **notify),
    )


def run(config: Config, fake: FakePortal, now: dt.datetime = NOW) -> RunSummary:
    """One run with the fake portal (notifications go out at its end, for real)."""
    return quiet_run(config, fake, now)


def rejected_batch(config: Config, fake: FakePortal) -> str:
    """Deposit three passages; the CDC accepts two and rejects one. Returns the file name."""
    write_export(
        inbox(config) / "export.csv",
        [row(i, dateDebutValidite=RECENT) for i in ("A1", "B2", "C3")],
    )
    first = run(config, fake)
    [name] = first.built
    fake.process(
        name,
        report_xml(name, ok=["A1", "C3"], ko={"B2": HOLDER_NOT_FOUND}),
        DepositState.PROCESSED_WITH_ERRORS,
    )
    return name


def test_notify_rejected_passages_once_in_french(tmp_path: Path, receiver: Receiver) -> None:
    """A processed batch with a reject: one French message with counts, class, hint, initials."""
    config = make(tmp_path, receiver.json_url)
    fake = FakePortal(clock=lambda: NOW)
    name = rejected_batch(config, fake)
    assert receiver.messages() == []  # nothing worth telling yet
    run(config, fake)
    [message] = receiver.messages()
    assert message["title"] == "1 passage(s) rejeté(s) par la CDC"
    body = message["message"]
    assert f"{name} a été traité par la CDC : 2 accepté(s), 1 rejeté(s)." in body
    assert "titulaire introuvable [holder_not_found]: 1" in body
    assert f"« {HOLDER_NOT_FOUND} »" in body
    assert "Que faire : le titulaire n'a pas été reconnu" in body
    assert "ex. B2 (É.M. 1990)" in body
    assert "Martin" not in body and "Élodie" not in body  # initials and birth year only
    assert message["type"] == "warning"
    run(config, fake)
    send_pending(config, now=lambda: NOW)
    assert len(receiver.messages()) == 1  # the cursor moved: never sent twice


def test_notify_english_by_option(tmp_path: Path, receiver: Receiver) -> None:
    """language = "en" writes the same message in English, with the stored hint."""
    config = make(tmp_path, receiver.json_url, language="en")
    fake = FakePortal(clock=lambda: NOW)
    rejected_batch(config, fake)
    run(config, fake)
    [message] = receiver.messages()
    assert message["title"] == "1 passage(s) rejected by the CDC"
    assert "holder not found [holder_not_found]: 1" in message["message"]
    assert "What to do: the holder was not matched" in message["message"]


def test_notify_destination_down_is_retried_and_others_go_on(
    tmp_path: Path, receiver: Receiver
) -> None:
    """A destination that is down keeps its place; it gets the message once it is back."""
    with running_receiver() as other:
        config = make(tmp_path, receiver.json_url, other.json_url)
        fake = FakePortal(clock=lambda: NOW)
        rejected_batch(config, fake)
        receiver.down = True
        summary = run(config, fake)
        assert summary.ok  # a failed notification never fails the run
        assert receiver.messages() == [] and len(other.messages()) == 1
        with Store.open(AgentPaths.from_config(config).db) as store:
            kinds = [e.kind for e in store.events(limit=100)]
            failing = [c for c in store.notify_cursors() if c["failures"]]
        assert kinds.count("notify_failed") == 1
        assert len(failing) == 1 and "did not accept" in failing[0]["last_error"]
        send_pending(config, now=lambda: NOW)  # still down: no second notify_failed event
        receiver.down = False
        report = send_pending(config, now=lambda: NOW)
        assert report.failed == {}
        assert receiver.kinds() == ["passages_rejected"]
        assert other.kinds() == ["passages_rejected"]


def test_notify_login_refused_is_one_message_not_two(tmp_path: Path, receiver: Receiver) -> None:
    """A refused login gives one login_refused message (critical), not also a run_failed."""
    config = make(tmp_path, receiver.json_url)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1", dateDebutValidite=RECENT)])
    fake.fail_next(LoginFailed("Identifiant ou mot de passe incorrect."))
    run(config, fake)
    assert receiver.kinds() == ["login_refused"]
    [message] = receiver.messages()
    assert message["title"] == "Connexion au portail CDC refusée"
    assert "Identifiant ou mot de passe incorrect." in message["message"]
    assert message["type"] == "failure"


def test_notify_run_failed_names_reason_and_evidence(tmp_path: Path, receiver: Receiver) -> None:
    """A portal failure: run_failed with the reason and the evidence folder."""
    config = make(tmp_path, receiver.json_url)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1", dateDebutValidite=RECENT)])
    shot = tmp_path / "evidence" / "20260302-deposit" / "page.png"
    fake.fail_next(PortalUnavailable("maintenance en cours", evidence=(shot,)))
    run(config, fake)
    [message] = receiver.messages()
    assert receiver.kinds() == ["run_failed"]
    assert "PortalUnavailable: maintenance en cours" in message["message"]
    assert f"Preuves : {shot.parent}" in message["message"]


def test_notify_min_level_and_kinds_filter(tmp_path: Path, receiver: Receiver) -> None:
    """A critical-only destination skips rejects; kinds switch notifications off, globally
    or for one destination."""
    with running_receiver() as quiet, running_receiver() as rejects_only:
        config = make(
            tmp_path,
            {"url": receiver.json_url, "min_level": "critical"},
            quiet.json_url,
            {"url": rejects_only.json_url, "name": "scolarité", "kinds": ["passages_rejected"]},
            kinds=["run_failed", "batch_accepted"],
        )
        fake = FakePortal(clock=lambda: NOW)
        rejected_batch(config, fake)
        run(config, fake)
        assert receiver.messages() == [] and quiet.messages() == []
        assert rejects_only.kinds() == ["passages_rejected"]
        write_export(inbox(config) / "b.csv", [row("D4", dateDebutValidite=RECENT)])
        fake.fail_next(PortalUnavailable("down"))
        run(config, fake)
        assert receiver.kinds() == ["run_failed"] and quiet.kinds() == ["run_failed"]
        assert rejects_only.kinds() == ["passages_rejected"]


def test_notify_digest_once_a_day_after_its_time(tmp_path: Path, receiver: Receiver) -> None:
    """The deadline digest: one per daily slot (digest_time), listing overdue and due passages."""
    config = make(tmp_path, receiver.json_url)
    db = AgentPaths.from_config(config).db
    clock = [NOW]
    with Store.open(db, now=lambda: clock[0]) as store:
        for id_technique, deadline in (("LATE", 1), ("SOON", 10)):
            passage = new_passage(id_technique, deadline=dt.date(2026, 3, deadline))
            store.put_passage(passage, status=PassageStatus.PENDING)
        far = new_passage("FAR", deadline=dt.date(2026, 6, 1))
        store.put_passage(far, status=PassageStatus.PENDING)
        clock[0] = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)  # 07:00 in Paris
        assert ensure_digest(store, config, clock[0])  # nothing since yesterday's 08:00
        clock[0] = NOW
        assert ensure_digest(store, config, NOW)  # today's 08:00 has passed since
        clock[0] = NOW + dt.timedelta(hours=5)
        assert not ensure_digest(store, config, clock[0])
        clock[0] = NOW + dt.timedelta(days=1)
        assert ensure_digest(store, config, clock[0])
        clock[0] = NOW + dt.timedelta(days=1, hours=2)
        assert not ensure_digest(store, config, clock[0])
    send_pending(config, now=lambda: NOW + dt.timedelta(days=1))
    # The first digest is older than 24 hours: a new destination does not get it.
    assert receiver.kinds() == ["deadline_digest"] * 2
    first = receiver.messages()[0]
    assert first["title"] == "Échéances : 1 en retard, 1 à moins de 15 jours"
    assert "2026-03-01  EN RETARD LATE  J.D. 1990  (pending)" in first["message"]
    assert "SOON" in first["message"] and "FAR" not in first["message"]
    assert first["type"] == "failure"


def test_notify_secret_from_lookup_and_missing_secret(tmp_path: Path, receiver: Receiver) -> None:
    """{secret:NAME} is filled (URL-quoted) at send time; a missing one is a clear failure."""
    url = f"json://127.0.0.1:{receiver.port}/notify/{{secret:tok}}"
    config = make(tmp_path, url)
    results = try_destinations(config, secret=SECRETS.__getitem__)
    assert results == [(f"json://127.0.0.1:{receiver.port}", None)]
    assert receiver.received[0].path == "/notify/s3cr%2Fet"

    def missing(name: str) -> str:
        raise CredentialsError(
            f"no notification secret {name!r} in the keyring: run `accrochage notify secret {name}`"
        )

    [(_, error)] = try_destinations(config, secret=missing)
    assert (
        error == "no notification secret 'tok' in the keyring: run `accrochage notify secret tok`"
    )


def test_notify_apprise_sender_reports_refusal(receiver: Receiver) -> None:
    """The real sender says False for a destination answering 503, True once it is back."""
    from agent.notify_messages import probe_notification

    receiver.down = True
    assert AppriseSender().send(receiver.json_url, probe_notification("fr")) is not None
    receiver.down = False
    assert AppriseSender().send(receiver.json_url, probe_notification("fr")) is None
    assert receiver.messages()[0]["title"] == "Test de notification de l'agent d'accrochage"


def test_notify_new_destination_starts_with_last_day(tmp_path: Path, receiver: Receiver) -> None:
    """A destination added later gets the last 24 hours of events, not the whole history."""
    config = make(tmp_path, receiver.json_url)
    db = AgentPaths.from_config(config).db
    old = NOW - dt.timedelta(days=3)
    with Store.open(db, now=lambda: old) as store:
        store.add_event("import_failed", "old.csv: unreadable", level="error")
    with Store.open(db, now=lambda: NOW) as store:
        store.add_event("import_failed", "new.csv: unreadable", level="error")
    send_pending(config, now=lambda: NOW)
    assert [m["title"] for m in receiver.messages()] == ["Fichier non importé : new.csv"]


def test_notify_config_rejects_non_apprise_url(tmp_path: Path) -> None:
    """A destination that is not a URL is a config error naming the key."""
    path = tmp_path / "accrochage.toml"
    path.write_text('[notify]\nurls = ["ops@example.org"]\n', encoding="utf-8")
    from agent.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"notify\.urls\.0\.url: expected an Apprise URL"):
        load_config(path)


def test_notify_deadline_days_follow_schedule(tmp_path: Path) -> None:
    """The digest horizon is [schedule] deadline_days."""
    config = Config(
        agent=AgentSettings(data_dir=tmp_path / "data"),
        schedule=ScheduleSettings(deadline_days=30),
        notify=NotifySettings(urls=["json://127.0.0.1:9/x"]),
    )
    with Store.open(AgentPaths.from_config(config).db) as store:
        store.put_passage(
            new_passage("P", deadline=dt.date(2026, 3, 25)), status=PassageStatus.PENDING
        )
        assert ensure_digest(store, config, NOW)
        [event] = [e for e in store.events() if e.kind == "deadline_digest"]
    assert event.message == "deadline digest: 0 overdue, 1 due within 30 days"


def test_notify_file_refused_whole(tmp_path: Path, receiver: Receiver) -> None:
    """A file the portal refuses: one critical file_rejected message naming it and why."""
    config = make(tmp_path, receiver.json_url)
    fake = FakePortal(clock=lambda: NOW)
    write_export(inbox(config) / "a.csv", [row("A1", dateDebutValidite=RECENT)])
    fake.fail_next(DepositRefused("fichier illisible"), method="deposit")
    summary = run(config, fake)
    [name] = summary.refused
    assert receiver.kinds() == ["file_rejected"]
    [message] = receiver.messages()
    assert message["title"] == f"Fichier refusé en entier : {name}"
    assert "fichier illisible" in message["message"] and message["type"] == "failure"


def test_notify_destination_label_never_shows_secrets() -> None:
    """The label printed by `notify test` and the log keeps the scheme and host only."""
    cases = {
        "mailtos://user:{secret:smtp}@example.org?to=a@b.org": "mailtos://example.org",
        "ntfy://ntfy.sh?token=abc": "ntfy://ntfy.sh",
        "json://hooks.example.org/path/{secret:tok}": "json://hooks.example.org",
        "msteams://{secret:team}/x/y": "msteams://***",
    }
    for url, label in cases.items():
        assert Destination(url=url).label == label
    assert Destination(url="json://h", name="ops").label == "ops"
    assert Destination(url="json://h").key != Destination(url="json://h", name="ops").key


def test_notify_cli_test_and_send_report_each_destination(
    tmp_path: Path, receiver: Receiver
) -> None:
    """`notify test`: one line per destination, exit 1 when one fails; `notify send` counts."""
    from click.testing import CliRunner

    from agent.cli import cli

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]  # closed again below: nothing listens there
    path = tmp_path / "accrochage.toml"
    path.write_text(
        '[agent]\ndata_dir = "data"\n[notify]\n'
        f'urls = ["{receiver.json_url}", {{ url = "json://127.0.0.1:{dead}/x", name = "down" }}]\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(path), "notify", "test"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"json://127.0.0.1:{receiver.port}: OK"
    assert lines[1].startswith("down: FAILED: the destination did not accept the message")
    with Store.open(tmp_path / "data" / "agent.sqlite3") as store:
        store.add_event("import_failed", "x.csv: unreadable", level="error")
    sent = runner.invoke(cli, ["--config", str(path), "notify", "send"])
    assert sent.exit_code == 1
    assert f"json://127.0.0.1:{receiver.port}: 1 sent" in sent.output
    assert "down: 0 sent; FAILED:" in sent.output
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    none = runner.invoke(cli, ["--config", str(empty), "notify", "test"])
    assert none.exit_code == 1
    assert "no destination: set [notify] urls in the config" in none.output
