"""The status page: a realistic store rendered to HTML, looked at in real Chromium.

The screenshot is saved to ``test-artifacts/status-page.png`` (gitignored) for a person to look
at; the test checks what a colleague would read on it.
"""

from __future__ import annotations

import datetime as dt
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from agent.cli import cli
from agent.config import AgentSettings, Config
from agent.context import RunContext
from agent.inbox import import_inbox
from agent.paths import AgentPaths
from agent.status_html import RED, render_page
from agent.status_page import page_data
from agent.status_server import StatusServer
from agent.store import Store
from builders.cdc.messages import HOLDER_NOT_FOUND, certification_ko_message
from portal.base import DepositState
from portal.fake import FakePortal
from tests.agent.helpers import inbox, quiet_run, report_xml, row, write_export
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
HEADINGS = [
    "En un coup d'œil",
    "Échéances",
    "Passages urgents",
    "Fichiers déposés",
    "Taux d'acceptation",
    "Rejets de la CDC, par motif",
    "Lignes invalides à corriger",
]


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _deposit(config: Config, fake: FakePortal, at: dt.datetime, rows: list[dict[str, str]]) -> str:
    write_export(inbox(config) / f"export-{at:%m%d}.csv", rows)
    [name] = quiet_run(config, fake, at).built
    return name


def _collect(config: Config, fake: FakePortal, at: dt.datetime) -> None:
    quiet_run(config, fake, at, collect_only=True)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A store with three processed files, one waiting, rejects, invalid and pending rows."""
    root = tmp_path_factory.mktemp("page")
    config = Config(agent=AgentSettings(data_dir=root / "data", timezone="UTC"))
    fake = FakePortal(clock=lambda: NOW)
    soon = _day(dt.date(2025, 12, 12))  # deadline 2026-03-12: due within 15 days
    history = [
        (dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC), "A", 6, {"A-5": HOLDER_NOT_FOUND}),
        (dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC), "B", 4, {}),
        (
            dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC),
            "C",
            5,
            {"C-3": HOLDER_NOT_FOUND, "C-4": certification_ko_message("12ABC345", "C-4")},
        ),
    ]
    for at, prefix, count, ko in history:
        ids = [f"{prefix}-{i}" for i in range(count)]
        name = _deposit(config, fake, at, [row(i, dateDebutValidite=soon) for i in ids])
        ok = [i for i in ids if i not in ko]
        state = DepositState.PROCESSED_WITH_ERRORS if ko else DepositState.PROCESSED
        fake.process(name, report_xml(name, ok=ok, ko=ko), state)
        _collect(config, fake, at + dt.timedelta(hours=3))
    _deposit(config, fake, NOW - dt.timedelta(hours=5), [row("W-0", dateDebutValidite=soon)])
    pending = [
        row(f"P-{i}", dateDebutValidite=_day(dt.date(2025, 12, 20) + dt.timedelta(days=9 * i)))
        for i in range(8)
    ]
    pending += [
        row("BAD-1", sexe="Z", dateDebutValidite="01/10/2025"),
        row("BAD-2", dateDebutValidite="31/02/2026"),
    ]
    write_export(inbox(config) / "export-0302.csv", pending)
    with Store.open(AgentPaths.from_config(config).db, now=lambda: NOW) as store:
        import_inbox(store, RunContext.create(config, now=lambda: NOW, progress=lambda _line: None))
    return config


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless."""
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that records every request leaving the page itself."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.outside = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("file://", "http://127.0.0.1"))
            else page.outside.append(r.url)
        ),  # type: ignore[attr-defined]
    )
    yield page
    context.close()


def _section(page: Page, heading: str) -> Locator:
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def _read_page(page: Page) -> None:
    """What a colleague reads on the page (shared by the file and the served page)."""
    assert page.title() == "Accrochage certificateur : état des déclarations"
    assert page.locator("h2").all_inner_texts() == HEADINGS
    cards = dict(
        reversed(card.split("\n", 1))  # type: ignore[misc]
        for card in page.locator(".card").all_inner_texts()
    )
    assert cards["acceptés par la CDC"] == "12"
    assert cards["en retard (délai de 3 mois dépassé)"] == "1"
    assert cards["rejetés par la CDC"] == "3"
    assert cards["lignes invalides à corriger"] == "2"
    late_bar = page.locator("svg rect.bar").first
    assert late_bar.get_attribute("fill") == RED
    assert late_bar.locator("title").text_content() == "Passages dont le délai est dépassé"
    assert page.locator("svg circle.point").count() == 3  # three processed files
    points = page.locator("svg circle.point title").all_text_contents()
    assert [p.rsplit(" : ", 1)[1] for p in points] == ["83 %", "100 %", "60 %"]
    rejects = _section(page, "Rejets de la CDC, par motif")
    first = rejects.locator("tr").nth(1).inner_text()
    assert first.startswith("titulaire introuvable\t2")
    assert "Que faire : le titulaire n'a pas été reconnu" in first
    assert "A-5 (É.M. 1990)" in first
    invalid = _section(page, "Lignes invalides à corriger").inner_text()
    assert "BAD-1" in invalid and "export-0302.csv, ligne 10" in invalid
    assert "sexe: expected one of: M, F" in invalid
    text = page.locator("body").inner_text()
    assert (
        "État au 02/03/2026 à 10:00 · dernière exécution réussie de l'agent : 02/03/2026 05:00"
        in text
    )
    assert "Martin" not in text and "Élodie" not in text  # initials and birth year only
    assert page.outside == []  # type: ignore[attr-defined]


def test_status_page_in_chromium(config: Config, page: Page, tmp_path: Path) -> None:
    """The self-contained file, opened offline in Chromium: content, charts, screenshot."""
    with Store.open(AgentPaths.from_config(config).db) as store:
        html = render_page(page_data(store, config, NOW))
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html
    path = tmp_path / "etat.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    _read_page(page)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "status-page.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 30_000


def test_status_page_served_read_only(config: Config, page: Page) -> None:
    """`accrochage run`'s server: the same page on 127.0.0.1; POST 405, other paths 404."""
    server = StatusServer(config, 0)
    try:
        url = f"http://127.0.0.1:{server.port}/"
        response = page.goto(url)
        assert response is not None and response.status == 200
        assert "default-src 'none'" in response.headers["content-security-policy"]
        headings = page.locator("h2").all_inner_texts()
        assert headings == HEADINGS
        for method, target, code in (("POST", url, 405), ("GET", url + "secret", 404)):
            body = b"" if method == "POST" else None
            request = urllib.request.Request(target, method=method, data=body)  # noqa: S310 - http to 127.0.0.1
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(request, timeout=10)  # noqa: S310 - http to 127.0.0.1
            assert raised.value.code == code
    finally:
        server.close()


def test_report_html_command_writes_owner_only_file(tmp_path: Path) -> None:
    """`accrochage report html FILE` writes one file, 0600, and says where."""
    config_path = tmp_path / "accrochage.toml"
    config_path.write_text('[agent]\ndata_dir = "data"\n', encoding="utf-8")
    target = tmp_path / "etat.html"
    result = CliRunner().invoke(cli, ["--config", str(config_path), "report", "html", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"status page written to {target} (")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    content = target.read_text(encoding="utf-8")
    assert content.startswith("<!DOCTYPE html>") and "Aucun fichier pour l'instant." in content
