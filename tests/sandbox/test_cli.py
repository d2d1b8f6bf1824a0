"""``accrochage sandbox`` as an operator runs it: a real subprocess, real HTTP, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ACCROCHAGE = Path(sys.executable).parent / "accrochage"


@contextmanager
def sandbox_process(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``accrochage sandbox --port 0``; yield the process and its printed login URL.

    The start-up lines (up to "Started ...") are read here and kept on ``process.banner``.
    """
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "PYTHONUNBUFFERED": "1"}
    env.pop("ACCROCHAGE_CONFIG", None)
    env.pop("ACCROCHAGE_SANDBOX_PASSWORD", None)
    process = subprocess.Popen(
        [str(ACCROCHAGE), "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        assert lines[0].startswith("Sandbox portal: http://127.0.0.1:"), lines
        while not lines[-1].startswith("Started") and lines[-1]:
            lines.append(process.stdout.readline())
        process.banner = "".join(lines)  # type: ignore[attr-defined]
        yield process, lines[0].split(": ", 1)[1].strip()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _rest(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    """Stop with a signal and return the whole output; the exit code must be 0."""
    process.send_signal(signum)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    banner: str = process.banner  # type: ignore[attr-defined]
    return banner + out


def test_cli_sandbox_prints_url_and_generated_password_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """Port 0 gives a real URL; a new account's generated password is printed once."""
    data = tmp_path / "data"
    with sandbox_process(tmp_path, "--data-dir", str(data)) as (process, url):
        assert _status(url) == 200
        out = _rest(process)
    assert "Account: certificateur (password: " in out
    root = url.removesuffix("/espace-prive")
    assert f'In the agent\'s config: [portal] base_url = "{root}"\n' in out  # no login path
    assert "Sandbox portal stopped." in out
    assert (data / "sandbox.sqlite3").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700
    with sandbox_process(tmp_path, "--data-dir", str(data)) as (process, _url):
        again = _rest(process)
    assert "Account: certificateur\n" in again
    assert "password" not in again


def test_cli_sandbox_never_prints_a_given_password(tmp_path: Path) -> None:
    """--password is used, never echoed; the default data folder is <agent data_dir>/sandbox."""
    args = ("--username", "ecole", "--password", "s3cret-donné")
    with sandbox_process(tmp_path, *args) as (process, url):
        assert _status(url) == 200
        out = _rest(process)
    assert "Account: ecole\n" in out
    assert "s3cret" not in out
    assert (tmp_path / "xdg" / "accrochage-agent" / "sandbox" / "sandbox.sqlite3").is_file()


def test_cli_sandbox_settings_file_and_fault_flags(tmp_path: Path) -> None:
    """A [sandbox] TOML file and --maintenance-for both reach the running replica."""
    settings = tmp_path / "sandbox.toml"
    settings.write_text(
        '[sandbox]\ndata_dir = "replica"\nusername = "toml-user"\n'
        "[sandbox.faults]\nlatency_ms = 1\n",
        encoding="utf-8",
    )
    args = ("--settings", str(settings), "--maintenance-for", "120")
    with sandbox_process(tmp_path, *args) as (process, url):
        assert _status(url) == 503
        out = _rest(process)
    assert "Account: toml-user (password: " in out
    assert (tmp_path / "replica" / "sandbox.sqlite3").is_file()


def test_cli_sandbox_bad_settings_are_a_clean_error(tmp_path: Path) -> None:
    """An invalid value in the settings file gives "Error: ..." and exit code 1."""
    settings = tmp_path / "bad.toml"
    settings.write_text("[sandbox]\nport = -3\n", encoding="utf-8")
    result = subprocess.run(
        [str(ACCROCHAGE), "sandbox", "--settings", str(settings)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")},
        check=False,
    )
    assert result.returncode == 1
    assert "Error: invalid sandbox settings" in result.stderr
    assert "port" in result.stderr


def test_cli_sandbox_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) stops the replica cleanly: exit code 0, closing message printed."""
    with sandbox_process(tmp_path, "--data-dir", str(tmp_path / "d")) as (process, url):
        assert _status(url) == 200
        out = _rest(process, signal.SIGINT)
    assert out.rstrip().endswith("Sandbox portal stopped.")
