"""Login, lockout, logout, session expiry, CSRF and the optional one-time code, in Chromium."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.sandbox.conftest import PROFILE, login, open_deposit_form, open_history
from tests.sandbox_server import SandboxHandle, running_sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One replica for the module; accounts lock after 3 failures."""
    with running_sandbox(tmp_path_factory.mktemp("auth"), lockout_attempts=3) as handle:
        yield handle


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def _post(opener: urllib.request.OpenerDirector, url: str, form: dict[str, str]) -> int:
    data = urllib.parse.urlencode(form).encode()
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_login_session_cookie_is_httponly_and_lax(
    page: Page, context: BrowserContext, sandbox: SandboxHandle
) -> None:
    """The session cookie is HttpOnly and SameSite=Lax."""
    login(page, sandbox)
    (cookie,) = [c for c in context.cookies() if c["name"] == "prdc_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_login_unknown_user_shows_the_same_error(page: Page, sandbox: SandboxHandle) -> None:
    """An unknown identifiant gets the same message as a wrong password."""
    page.goto(sandbox.login_url)
    page.get_by_label(PROFILE.username_label, exact=True).fill("personne")
    page.get_by_label(PROFILE.password_label, exact=True).fill("x")
    page.get_by_role("button", name=PROFILE.login_button_label).click()
    expect(page.locator(PROFILE.error_message_selector)).to_have_text(
        re.compile("Identifiant ou mot de passe incorrect")
    )


def test_login_lockout_after_repeated_failures(page: Page, sandbox: SandboxHandle) -> None:
    """The third failure locks the account; then even the right password is refused."""
    sandbox.server.auth.ensure_account("verrou", "bon-mot-de-passe")
    for _ in range(3):
        page.goto(sandbox.login_url)
        page.get_by_label(PROFILE.username_label, exact=True).fill("verrou")
        page.get_by_label(PROFILE.password_label, exact=True).fill("mauvais")
        page.get_by_role("button", name=PROFILE.login_button_label).click()
    alert = page.locator(PROFILE.error_message_selector)
    expect(alert).to_contain_text("Compte verrouillé après 3 tentatives")
    page.get_by_label(PROFILE.password_label, exact=True).fill("bon-mot-de-passe")
    page.get_by_role("button", name=PROFILE.login_button_label).click()
    expect(alert).to_contain_text("Compte verrouillé")
    expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_have_count(0)


def test_logout_ends_the_session(page: Page, sandbox: SandboxHandle) -> None:
    """After "Se déconnecter", private pages send back to the login page."""
    login(page, sandbox)
    page.get_by_role("link", name=PROFILE.logout_label, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté")
    page.goto(sandbox.url + "/espace-prive/transmettre/historique")
    expect(page.get_by_role("button", name=PROFILE.login_button_label)).to_be_visible()


def test_logout_link_without_token_asks_for_confirmation(
    page: Page, sandbox: SandboxHandle
) -> None:
    """A forged logout link (no CSRF token) does not log out; it shows a confirm form."""
    login(page, sandbox)
    page.goto(sandbox.url + "/espace-prive/deconnexion")
    expect(page.get_by_role("button", name="Confirmer la déconnexion")).to_be_visible()
    page.goto(sandbox.url + "/espace-prive/accueil")
    expect(page.get_by_role("link", name=PROFILE.logout_label, exact=True)).to_be_visible()


def test_session_expiry_redirects_to_login_then_back(page: Page, sandbox: SandboxHandle) -> None:
    """An expired session lands on the login page with a notice, then returns to the page."""
    login(page, sandbox)
    open_history(page)
    history_url = page.url
    sandbox.set_faults(session_max_age_s=0.3)
    try:
        deadline = time.monotonic() + 10
        while not page.get_by_role("button", name=PROFILE.login_button_label).count():
            assert time.monotonic() < deadline, "the session never expired"
            page.reload()
        expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
        assert "next=" in page.url
    finally:
        sandbox.set_faults(session_max_age_s=None)
    page.get_by_label(PROFILE.username_label, exact=True).fill(sandbox.username)
    page.get_by_label(PROFILE.password_label, exact=True).fill(sandbox.password)
    page.get_by_role("button", name=PROFILE.login_button_label).click()
    expect(page).to_have_url(history_url)


def test_csrf_post_without_token_is_refused(sandbox: SandboxHandle) -> None:
    """A plain POST with good credentials but no CSRF token is refused with HTTP 400."""
    opener = _opener()
    with opener.open(sandbox.login_url, timeout=10) as response:
        html = response.read().decode()
    form = {"username": sandbox.username, "password": sandbox.password}
    assert _post(_opener(), sandbox.login_url, form) == 400
    assert _post(opener, sandbox.login_url, {**form, "csrf_token": "forged"}) == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    assert _post(opener, sandbox.login_url, {**form, "csrf_token": token.group(1)}) == 200


def test_csrf_upload_without_token_stores_nothing(sandbox: SandboxHandle) -> None:
    """A logged-in multipart POST without the token is refused and stores no file."""
    opener = _opener()
    with opener.open(sandbox.login_url, timeout=10) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    assert token is not None
    form = {"username": sandbox.username, "password": sandbox.password, "csrf_token": token[1]}
    assert _post(opener, sandbox.login_url, form) == 200
    before = len(sandbox.deposits())
    boundary = "XXboundaryXX"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; '
        f'filename="forge.xml"\r\nContent-Type: application/xml\r\n\r\n<a/>\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the local replica's URL
        sandbox.url + "/espace-prive/transmettre/depot",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request, timeout=10)
    assert refused.value.code == 400
    assert len(sandbox.deposits()) == before


def test_otp_step_uses_the_code_written_to_the_data_folder(page: Page, tmp_path: Path) -> None:
    """With OTP on, a wrong code is refused and the code from otp.txt (0600) logs in."""
    with running_sandbox(tmp_path, otp_enabled=True) as otp_sandbox:
        login(page, otp_sandbox)
        code_input = page.get_by_label(PROFILE.otp_label, exact=True)
        otp_file = otp_sandbox.data_dir / "otp.txt"
        code = otp_file.read_text().strip()
        assert re.fullmatch(r"\d{6}", code)
        assert otp_file.stat().st_mode & 0o777 == 0o600
        code_input.fill(f"{(int(code) + 1) % 10**6:06d}")
        page.get_by_role("button", name=PROFILE.otp_button_label, exact=True).click()
        expect(page.locator(PROFILE.error_message_selector)).to_contain_text(
            "Code de vérification incorrect"
        )
        code_input.fill(code)
        page.get_by_role("button", name=PROFILE.otp_button_label, exact=True).click()
        expect(page.get_by_role("link", name=PROFILE.deposit_tab_label)).to_be_visible()


def test_session_expiry_during_upload_stores_nothing(
    page: Page, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """An upload posted after the session expired lands on the login page; nothing stored."""
    flux = tmp_path / "tardif.xml"
    flux.write_text("<a/>", encoding="utf-8")
    login(page, sandbox)
    open_deposit_form(page)
    page.locator(PROFILE.file_input_selector).set_input_files(flux)
    before = len(sandbox.deposits())
    sandbox.set_faults(session_max_age_s=0.01)
    try:
        deadline = time.monotonic() + 10
        while not page.get_by_role("button", name=PROFILE.login_button_label).count():
            assert time.monotonic() < deadline, "the session never expired"
            page.get_by_role("button", name=PROFILE.upload_button_label).click()
    finally:
        sandbox.set_faults(session_max_age_s=None)
    expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
    assert len(sandbox.deposits()) == before
