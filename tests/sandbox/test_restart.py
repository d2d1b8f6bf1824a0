"""A restart keeps accounts, deposits, receipts, reports and pending work."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox.labels import Status
from tests.sandbox.conftest import PROFILE, download, history_rows, login, open_history, upload
from tests.sandbox.fluxgen import P, write_flux
from tests.sandbox_server import running_sandbox

pytestmark = pytest.mark.browser


def test_restart_keeps_account_deposits_reports_and_pending_work(
    page: Page, tmp_path: Path
) -> None:
    """Stop and start on the same folder: same login, same rows and documents, pending done."""
    done = write_flux(tmp_path / "avant.xml", [P("r-1")], id_flux="avant")
    pending = write_flux(tmp_path / "en-attente.xml", [P("r-2")], id_flux="attente")
    with running_sandbox(tmp_path) as first:
        password = first.password
        login(page, first)
        upload(page, done)
        first.wait_for_status(done.name, Status.PROCESSED.value)
        first.set_faults(processing_delay_s=3600)
        upload(page, pending)
        open_history(page)
        report_before = download(page, done.name, PROFILE.report_link_label, tmp_path)
        before = history_rows(page)
    assert [row[PROFILE.column_status] for row in before] == [
        Status.PROCESSING.value,
        Status.PROCESSED.value,
    ]
    with running_sandbox(tmp_path, password=None, processing_delay_s=0) as second:
        second.password = password
        page.context.clear_cookies()  # log in afresh: the account itself must have survived
        login(page, second)
        expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_be_visible()
        second.wait_for_status(pending.name, Status.PROCESSED.value)
        open_history(page)
        after = history_rows(page)
        assert [row[PROFILE.column_file_name] for row in after] == [pending.name, done.name]
        assert after[1] == before[1]
        assert after[0][PROFILE.column_status] == Status.PROCESSED.value
        saved = tmp_path / "after"
        saved.mkdir()
        report_after = download(page, done.name, PROFILE.report_link_label, saved)
        assert report_after.read_bytes() == report_before.read_bytes()


def test_stop_closes_sockets_without_error_in_the_server_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping with a client connection open: no thread dies, the port is free at once."""
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    for _ in range(5):
        with running_sandbox(tmp_path) as sandbox:
            host, port = sandbox.url.removeprefix("http://").split(":")
            client = socket.create_connection((host, int(port)), timeout=5)
            client.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(12).startswith(b"HTTP/1.1")
        assert client.recv(65536) is not None  # the server closed its side: no hang
        client.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, int(port)), timeout=5)
    assert failures == []
