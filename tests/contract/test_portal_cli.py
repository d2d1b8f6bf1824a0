"""``accrochage credentials set|check`` and ``accrochage portal probe`` against the replica.

The keyring is the encrypted file backend shipped for headless servers
(``portal.keyring_file``), its file and key under ``tmp_path``: exactly what an operator
without D-Bus does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring.core
import pytest
from click.testing import CliRunner, Result

from agent.cli import cli
from portal.credentials import SERVICE
from tests.contract.conftest import SLOW_PROCESSING_S
from tests.contract.helpers import browser_portal
from tests.sandbox_server import SandboxHandle

pytestmark = pytest.mark.browser

BACKEND = "portal.keyring_file.AgentCryptFileKeyring"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Select the encrypted-file keyring with its key in an owner-only file."""
    key = tmp_path / "keyring-key"
    key.write_text("a-long-random-keyring-key\n")
    key.chmod(0o600)
    store = tmp_path / "keyring" / "cryptfile.cfg"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND)
    monkeypatch.setenv("KEYRING_CRYPTFILE_PATH", str(store))
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD_FILE", str(key))
    keyring.core.init_backend()
    yield store
    monkeypatch.undo()
    keyring.core.init_backend()


def _config(tmp_path: Path, replica: SandboxHandle, extra: str = "") -> Path:
    path = tmp_path / "accrochage.toml"
    path.write_text(
        f"""
[agent]
data_dir = "{tmp_path / "data"}"
inbox_settle_s = 0

[portal]
base_url = "{replica.url}"
username = "{replica.username}"
action_timeout_s = 5
{extra}
""",
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=stdin)


def test_cli_credentials_set_from_stdin_then_check(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """The password read from stdin goes to the encrypted keyring, and check logs in with it."""
    config = _config(tmp_path, replica)
    stored = _run(config, "credentials", "set", stdin=replica.password + "\n")
    assert stored.exit_code == 0, stored.output
    assert "Password stored for" in stored.output
    assert replica.password not in stored.output
    assert file_keyring.stat().st_mode & 0o777 == 0o600
    assert replica.password.encode() not in file_keyring.read_bytes()
    assert keyring.get_password(SERVICE, replica.username) == replica.password
    checked = _run(config, "credentials", "check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("OK: logged in")
    assert replica.password not in checked.output


def test_cli_credentials_check_wrong_password(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """A stored password the portal refuses: exit 1 with the portal's own message."""
    config = _config(tmp_path, replica)
    assert _run(config, "credentials", "set", stdin="not-it\n").exit_code == 0
    checked = _run(config, "credentials", "check")
    assert checked.exit_code == 1
    assert "Identifiant ou mot de passe incorrect" in checked.output


def test_cli_credentials_refused_check_pauses_until_set(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """A refused check pauses logins with that password; a second check says so before its
    one requested try; `credentials set` lifts the pause."""
    config = _config(tmp_path, replica)
    assert _run(config, "credentials", "set", stdin="not-it\n").exit_code == 0
    first = _run(config, "credentials", "check")
    assert first.exit_code == 1
    assert "login paused: the portal refused the password at " in first.output
    assert "run `accrochage credentials set`" in first.output
    again = _run(config, "credentials", "check")
    assert again.exit_code == 1
    assert again.output.startswith("note: login paused: the portal refused the password at ")
    assert "trying this password once, as you asked" in again.output
    fixed = _run(config, "credentials", "set", stdin=replica.password + "\n")
    assert "Logins were paused after a refused password: they resume with this one." in (
        fixed.output
    )
    checked = _run(config, "credentials", "check")
    assert checked.exit_code == 0, checked.output
    assert "note:" not in checked.output


def test_cli_credentials_check_without_password(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """No stored password: exit 1 saying which command stores it, before any browser starts."""
    checked = _run(_config(tmp_path, replica), "credentials", "check")
    assert checked.exit_code == 1
    assert "accrochage credentials set" in checked.output


def test_cli_credentials_no_keyring_backend(
    replica: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no usable keyring the error points at the README section, not a traceback."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    try:
        result = _run(_config(tmp_path, replica), "credentials", "set", stdin="x\n")
    finally:
        monkeypatch.undo()
        keyring.core.init_backend()
    assert result.exit_code == 1
    assert "no usable keyring backend" in result.output
    assert "README" in result.output


def test_cli_credentials_key_file_must_be_private(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """A keyring key file readable by others is refused with the chmod to run."""
    key = tmp_path / "keyring-key"
    key.chmod(0o644)
    result = _run(_config(tmp_path, replica), "credentials", "set", stdin="x\n")
    assert result.exit_code == 1
    assert "chmod 600" in result.output


def test_cli_portal_probe_all_found(
    replica: SandboxHandle,
    tmp_path: Path,
    file_keyring: Path,
    deposit_file: Callable[[], Path],
) -> None:
    """On the replica every default profile entry is found; screenshots are 0600; no upload."""
    path = deposit_file()
    with browser_portal(replica, tmp_path) as portal:
        portal.deposit(path)  # so the history has a row, links and a status
    replica.set_faults(processing_delay_s=0)
    replica.wait_for_status(path.name)
    replica.set_faults(processing_delay_s=SLOW_PROCESSING_S)
    config = _config(tmp_path, replica)
    assert _run(config, "credentials", "set", stdin=replica.password + "\n").exit_code == 0
    before = len(replica.deposits())
    result = _run(config, "portal", "probe", "--out", str(tmp_path / "probe"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1].endswith("0 NOT FOUND.")
    checked = [li for li in lines if li.startswith("  ")]
    assert len(checked) >= 16
    assert all(li.split("'")[-1].strip().startswith("found") for li in checked), result.output
    for entry in ("username_label", "receipt_link_label", "column_status", "status_labels"):
        assert entry in result.output
    shots = sorted((tmp_path / "probe").glob("*.png"))
    assert [p.name.split("-", 1)[1] for p in shots] == [
        "login.png",
        "home.png",
        "deposit-tab.png",
        "deposit-form.png",
        "history.png",
    ]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in shots)
    assert len(replica.deposits()) == before


def _probe(tmp_path: Path, replica: SandboxHandle, profile: str) -> Result:
    """``portal probe`` with the replica's password stored and ``profile`` in the config."""
    config = _config(tmp_path, replica, profile)
    assert _run(config, "credentials", "set", stdin=replica.password + "\n").exit_code == 0
    return _run(config, "portal", "probe", "--out", str(tmp_path / "probe"))


def test_cli_portal_probe_reports_wrong_label(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """A profile label the portal does not have is listed as NOT FOUND and exits 1."""
    result = _probe(tmp_path, replica, '[portal.profile]\nupload_button_label = "Envoyer"\n')
    assert result.exit_code == 1
    line = next(li for li in result.output.splitlines() if "upload_button_label" in li)
    assert "'Envoyer'" in line
    assert "NOT FOUND" in line
    assert "file_input_selector" in result.output  # the rest of the form is still checked


def test_cli_portal_probe_suggests_the_login_labels_on_the_page(
    replica: SandboxHandle, tmp_path: Path, file_keyring: Path
) -> None:
    """A wrong login label: the page's closest labels and the line to paste, then the stop."""
    result = _probe(tmp_path, replica, '[portal.profile]\nusername_label = "Identifiant client"\n')
    assert result.exit_code == 1
    lines = result.output.splitlines()
    at = next(i for i, li in enumerate(lines) if "username_label" in li)
    assert "'Identifiant client'" in lines[at] and "NOT FOUND" in lines[at]
    assert lines[at + 1].startswith("      closest on the page: 'Identifiant' (label, 76%)")
    assert "'Se connecter'" not in lines[at + 1]  # a button cannot be a field's label
    block = lines.index("[portal.profile]")
    assert lines[block - 1].startswith("Best guesses to paste into the config")
    assert lines[block + 1] == 'username_label = "Identifiant"'
    assert "Stopped: login:" in result.output
    assert replica.password not in result.output


def test_cli_portal_probe_suggests_links_and_columns_after_login(
    replica: SandboxHandle,
    tmp_path: Path,
    file_keyring: Path,
    deposit_file: Callable[[], Path],
) -> None:
    """Wrong link and column names: each NOT FOUND entry gets the page's closest, pasteable."""
    with browser_portal(replica, tmp_path) as portal:
        portal.deposit(deposit_file())  # a history row, so the table and its columns show
    profile = (
        '[portal.profile]\ndeposit_link_label = "Déposer un fichier"\ncolumn_status = "Status"\n'
    )
    result = _probe(tmp_path, replica, profile)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    block = lines.index("[portal.profile]")
    pasted = lines[
        block + 1 : lines.index(next(li for li in lines if li.startswith("Screenshots")))
    ]
    assert pasted == ['deposit_link_label = "Déposer un fichier XML"', 'column_status = "Statut"']
    column = next(i for i, li in enumerate(lines) if "column_status" in li and "NOT FOUND" in li)
    assert lines[column + 1].startswith("      closest on the page: 'Statut' (column, ")
