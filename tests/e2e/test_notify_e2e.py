"""Notifications end to end: the real agent CLI, the real replica, a real local receiver."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from agent.testhooks import EXIT_STATUS
from tests.e2e.conftest import Agent, rows_for
from tests.notify_receiver import running_receiver
from tests.sandbox_server import SandboxHandle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALL_KINDS = (
    '["run_failed", "login_refused", "file_not_imported", "passages_rejected", '
    '"file_rejected", "deadline_digest", "batch_accepted"]'
)


def _recent() -> str:
    """A delivery date 20 days ago: deadline in about 70 days, not due."""
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=20)).strftime("%d/%m/%Y")


def test_e2e_one_notification_per_kind_even_after_a_kill(
    agent: Agent, sandbox: SandboxHandle
) -> None:
    """Rejects, a broken file, a digest, an accepted file, a refused login: one message each."""
    with running_receiver() as receiver:
        config = agent.root / "accrochage.toml"
        text = config.read_text(encoding="utf-8").replace(
            'data_dir = "data"\n', 'data_dir = "data"\ntimezone = "UTC"\n'
        )
        config.write_text(
            text
            + f'\n[notify]\nurls = ["json://127.0.0.1:{receiver.port}/notify/{{secret:hook}}"]\n'
            + f"kinds = {ALL_KINDS}\ndigest_time = 00:00:00\n",
            encoding="utf-8",
        )
        stored = agent.run("notify", "secret", "hook", stdin="tok-123\n")
        assert stored.returncode == 0, stored.stderr
        tried = agent.run("notify", "test")
        assert tried.returncode == 0, tried.stdout + tried.stderr
        assert tried.stdout == f"json://127.0.0.1:{receiver.port}: OK\n"
        assert [r.path for r in receiver.received] == ["/notify/tok-123"]  # secret filled in
        receiver.received.clear()

        rows = [
            *rows_for("NOTE-OK", 2, dateDebutValidite=_recent()),
            *rows_for("NOTE-KO", 2, nomNaissance="Inconnu", dateDebutValidite=_recent()),
            *rows_for("NOTE-LATE", 1, sexe="Z", dateDebutValidite="01/01/2025"),
        ]
        agent.drop("export.csv", rows)
        (agent.data_dir / "inbox" / "broken.csv").write_text("not;an;export\n1;2;3\n")
        crashed = agent.run("deposit", "now", "--wait", crash_at="before_notify")
        assert crashed.returncode == EXIT_STATUS, crashed.stdout + crashed.stderr
        assert receiver.received == []  # killed after the events, before any send

        again = agent.run("deposit", "now")
        assert again.returncode == 0, again.stdout + again.stderr
        assert sorted(receiver.kinds()) == [
            "deadline_digest",
            "file_not_imported",
            "passages_rejected",
        ]
        by_kind = dict(zip(receiver.kinds(), receiver.messages(), strict=True))
        rejected = by_kind["passages_rejected"]
        assert rejected["title"] == "2 passage(s) rejeté(s) par la CDC"
        assert "2 accepté(s), 2 rejeté(s)" in rejected["message"]
        assert "titulaire introuvable [holder_not_found]: 2" in rejected["message"]
        assert "NOTE-KO-000" in rejected["message"] and "Inconnu" not in rejected["message"]
        digest = by_kind["deadline_digest"]
        assert digest["title"] == "Échéances : 1 en retard, 0 à moins de 15 jours"
        assert "EN RETARD NOTE-LATE-000" in digest["message"]
        assert "broken.csv" in by_kind["file_not_imported"]["title"]

        agent.drop("more.csv", rows_for("NOTE-MORE", 2, dateDebutValidite=_recent()))
        more = agent.run("deposit", "now", "--wait")
        assert more.returncode == 0, more.stdout + more.stderr
        wrong = agent.run("credentials", "set", stdin="not-the-password\n")
        assert wrong.returncode == 0, wrong.stderr
        agent.drop("last.csv", rows_for("NOTE-LAST", 1, dateDebutValidite=_recent()))
        shutil.rmtree(agent.data_dir / "portal")  # the saved session would skip the login
        refused = agent.run("deposit", "now")
        assert refused.returncode == 1
        # Logins are now paused (agent.login_guard): the next run stops before the portal, and
        # the pause, already notified once, is not notified again by every run.
        paused = agent.run("deposit", "now")
        assert "login paused" in paused.stdout + paused.stderr
        assert agent.run("notify", "send").returncode == 0
        kinds = receiver.kinds()
        assert sorted(kinds[:5]) == [
            "batch_accepted",
            "deadline_digest",
            "file_not_imported",
            "login_refused",
            "passages_rejected",
        ]
        assert kinds[5:] == []
        accepted = dict(zip(kinds, receiver.messages(), strict=False))["batch_accepted"]
        assert "2 passage(s) accepté(s)" in accepted["message"]
    # The destination's secret exists only inside the encrypted keyring.
    written = [p for p in agent.root.rglob("*") if p.is_file() and p.name != "keyring.cfg"]
    assert len(written) > 10
    assert not [p for p in written if b"tok-123" in p.read_bytes()]
