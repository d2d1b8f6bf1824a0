"""Issue 11 in real Chromium against the replica: maintenance, reloads on the spot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route

from portal.base import DocumentKind
from portal.errors import DocumentRefused, PortalMaintenance
from tests.contract.helpers import browser_portal, faults
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser


def test_browser_maintenance_reported_with_its_end(replica: SandboxHandle, tmp_path: Path) -> None:
    """A maintenance page is reported as maintenance with its end, not as "HTTP 503"."""
    waits: list[float] = []
    portal = browser_portal(replica, tmp_path, sleep=waits.append, page_retry_attempts=3)
    with portal:
        portal.login()
        maintenance = faults(replica, {"maintenance_for_s": 0}, maintenance_for_s=3600)
        with maintenance, pytest.raises(PortalMaintenance) as info:
            portal.history()
    message = info.value.message
    assert "in maintenance until" in message
    assert "(Paris time)" in message
    assert "HTTP 503" not in message
    assert info.value.seconds_left is not None
    assert 3500 < info.value.seconds_left <= 3600
    assert waits == []  # ends past the retry budget (120 s): not retried in this run


def test_browser_failed_page_reloaded_on_the_spot(replica: SandboxHandle, tmp_path: Path) -> None:
    """An HTTP 500 page is loaded again within the step: no failed attempt, no new login."""
    waits: list[float] = []

    def heal(seconds: float) -> None:
        waits.append(seconds)
        replica.set_faults(error_rate=0.0)

    portal = browser_portal(
        replica, tmp_path, sleep=heal, page_retry_attempts=3, page_retry_delay_s=0.25
    )
    with portal:
        portal.login()
        with faults(replica, {"error_rate": 0.0}, error_rate=1.0):
            history = portal.history()
        reloads = portal.navigator.reloads
    assert isinstance(history, list)
    assert waits == [0.25]
    assert reloads == 1
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").rglob("*.png"))


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A replica whose history shows 2 rows a page, processing held back."""
    with running_sandbox(
        tmp_path_factory.mktemp("paged"), processing_delay_s=600, history_page_size=2
    ) as handle:
        yield handle


def test_browser_history_read_on_every_page(
    paged: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path]
) -> None:
    """An old deposit on page 3 is found: history, find_deposit, and no second upload."""
    files = [deposit_file() for _ in range(5)]
    with browser_portal(paged, tmp_path) as portal:
        for path in files:
            assert portal.deposit(path).uploaded
        names = [entry.file_name for entry in portal.history()]
        assert names == [path.name for path in reversed(files)]
        oldest = portal.find_deposit(files[0].name)
        again = portal.deposit(files[0])
    assert oldest is not None
    assert oldest.file_name == files[0].name
    assert again.uploaded is False
    assert [d["file_name"] for d in paged.deposits()].count(files[0].name) == 1


def test_browser_report_on_a_later_page_and_on_the_deposit_page(
    paged: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path]
) -> None:
    """The report of a deposit beyond the first page is fetched; its own page offers it too."""
    first, *later = [deposit_file() for _ in range(3)]
    with browser_portal(paged, tmp_path) as portal:
        for path in (first, *later):
            portal.deposit(path)
        with faults(paged, {"processing_delay_s": 600}, processing_delay_s=0):
            done = paged.wait_for_status(first.name)
        saved = portal.fetch_document(first.name, DocumentKind.REPORT, tmp_path / "docs")
        portal.page.goto(f"{paged.url}/espace-prive/transmettre/depot/{done['id']}")
        link = portal.page.get_by_role("link", name="Accusé de traitement", exact=True)
        href = link.get_attribute("href")
    assert saved.path.read_bytes().startswith(b"<?xml")
    assert f"<nomFichier>{first.name}</nomFichier>" in saved.path.read_text(encoding="utf-8")
    assert href == f"/espace-prive/documents/{done['id']}/accuse-traitement"


@pytest.mark.parametrize("inline", [False, True], ids=["attachment", "inline"])
def test_browser_document_over_the_cap_refused_and_not_stored(
    paged: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path], *, inline: bool
) -> None:
    """A report past max_document_bytes is refused unstored; a normal one is stored once."""
    path = deposit_file()
    docs = tmp_path / "docs"
    with browser_portal(paged, tmp_path, max_document_bytes=100_000) as portal:
        portal.deposit(path)
        with faults(paged, {"processing_delay_s": 600}, processing_delay_s=0):
            paged.wait_for_status(path.name)
        report = paged.report_file(path.name)
        normal = report.read_bytes()
        with faults(paged, {"documents_inline": False}, documents_inline=inline):
            saved = portal.fetch_document(path.name, DocumentKind.REPORT, docs)
            report.write_bytes(normal.replace(b"</rapport>", b" " * 3_000_000 + b"</rapport>"))
            with pytest.raises(DocumentRefused, match=r"larger than .*max_document_bytes"):
                portal.fetch_document(path.name, DocumentKind.REPORT, docs)
    assert saved.path.read_bytes() == normal
    assert sorted(p.name for p in docs.iterdir()) == [saved.path.name]  # no partial file
    assert not any((tmp_path / "work" / "downloads").iterdir())  # not stored twice


def test_browser_upload_lost_before_storing_sent_again_in_the_same_run(
    replica: SandboxHandle, tmp_path: Path, deposit_file: Callable[[], Path]
) -> None:
    """A submit answered HTTP 500 that never reached the portal (absent from the history) is
    sent again within the same deposit call, not left for the next run; one upload in all."""
    path = deposit_file()
    failed: list[str] = []

    def lose_first_upload(route: Route) -> None:
        if route.request.method == "POST" and not failed:
            failed.append(route.request.url)
            route.fulfill(status=500, content_type="text/html", body="<h1>Erreur technique</h1>")
        else:
            route.fallback()

    portal = browser_portal(replica, tmp_path, confirm_timeout_s=1.0)
    with portal:
        portal.login()
        portal.page.route("**/transmettre/depot", lose_first_upload)
        result = portal.deposit(path)
    assert failed
    assert result.uploaded is True
    assert [d["file_name"] for d in replica.deposits()].count(path.name) == 1
