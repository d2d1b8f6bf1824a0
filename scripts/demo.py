"""``make demo``: the whole loop against the local portal replica, through headless Chromium.

What it does (installs nothing itself: the Makefile's ``install`` target did that):

1. recreates ``demo-run/`` with its own config (data directory inside it, base_url = the
   replica, a short poll interval);
2. starts the replica in the background on a free port (``accrochage sandbox --port 0``) and
   reads its URL from its output;
3. stores the demo password in the encrypted-file keyring named by ``[credentials]``, whose
   owner-only key ``credentials set`` creates (works on a headless machine, asks nothing, no
   environment variable);
4. copies the shipped sample export (``examples/sample-export.csv``: valid rows, invalid rows,
   one candidate not admitted, holders the replica does not identify, a withdrawn
   certification) into the inbox;
5. runs ``accrochage deposit now --wait``, then ``status``, ``rejects --csv`` and
   ``report html`` (the status page, ``demo-run/etat.html``);
6. stops the replica and exits 0 when the deposit run succeeded.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo-run"
SAMPLE = ROOT / "examples" / "sample-export.csv"
ACCROCHAGE = Path(sys.executable).with_name("accrochage")
URL = re.compile(r"(https?://127\.0\.0\.1:\d+)")

CONFIG = """\
# Written by scripts/demo.py: the demo's own configuration.
[agent]
data_dir = "data"
inbox_settle_s = 1  # the demo drops its files just before running

[declarant]
id_client_emetteur = "12ABC345"
id_client_certificateur = "12ABC345"
id_contrat = "MCFCER000123"
nature_deposant = "CERTIFICATEUR"

[portal]
base_url = "{url}"
username = "certificateur"

[credentials]
backend = "file"         # the encrypted file data/keyring.cfg
key_file = "keyring-key" # its key, created by `credentials set`

[schedule]
poll_interval_s = 2
wait_timeout_s = 240
"""


def _private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["ACCROCHAGE_CONFIG"] = str(DEMO / "accrochage.toml")
    env.pop("ACCROCHAGE_TEST_CRASH_AT", None)
    return env


def _start_replica(password: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    command = [
        str(ACCROCHAGE), "sandbox", "--port", "0", "--data-dir", str(DEMO / "sandbox"),
        "--username", "certificateur", "--password", password, "--processing-delay", "3",
    ]  # fmt: skip
    env = {k: v for k, v in env.items() if k != "ACCROCHAGE_CONFIG"}  # not written yet
    replica = subprocess.Popen(  # the password goes to the replica, never to a log
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert replica.stdout is not None  # noqa: S101 - PIPE was requested
    deadline = time.monotonic() + 60
    for line in replica.stdout:
        found = URL.search(line)
        if found:
            return replica, found.group(1)
        if time.monotonic() > deadline:
            break
    replica.kill()
    raise click.ClickException("the replica did not print its URL")


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> int:
    click.echo(f"\n$ accrochage {' '.join(args)}")
    command = [str(ACCROCHAGE), *args]
    return subprocess.run(command, check=False, env=env, input=stdin, text=True).returncode


def _copy_sample(target: Path) -> None:
    """Copy the sample, delivered 80 days ago: rejected passages show up as due soon."""
    delivered = (dt.date.today() - dt.timedelta(days=80)).strftime("%d/%m/%Y")  # noqa: DTZ011
    with SAMPLE.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source, delimiter=";"))
    with target.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.DictWriter(sink, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        for row in rows:
            if row["dateDebutValidite"] == "20/02/2026":  # the invalid 31/02 row stays invalid
                row["dateDebutValidite"] = delivered
            writer.writerow(row)


def main() -> int:
    """Run the demo; returns the process exit code."""
    if DEMO.exists():
        shutil.rmtree(DEMO)
    DEMO.mkdir(mode=0o700)
    env = _environment()
    password = secrets.token_urlsafe(16)
    replica, url = _start_replica(password, env)
    try:
        click.echo(f"Replica of the CDC portal running at {url} (data in {DEMO / 'sandbox'})")
        _private_file(DEMO / "accrochage.toml", CONFIG.format(url=url))
        if _run(env, "credentials", "set", stdin=password + "\n"):
            raise click.ClickException("could not store the demo password in the keyring")
        inbox = DEMO / "data" / "inbox"
        inbox.mkdir(parents=True, mode=0o700)
        _copy_sample(inbox / SAMPLE.name)
        click.echo(f"Copied {SAMPLE.relative_to(ROOT)} into {inbox} (delivered 80 days ago)")
        code = _run(env, "deposit", "now", "--wait")
        _run(env, "status")
        _run(env, "rejects", "--csv", str(DEMO / "rejects.csv"))
        _run(env, "report", "html", str(DEMO / "etat.html"))
    finally:
        replica.terminate()
        try:
            replica.wait(timeout=20)
        except subprocess.TimeoutExpired:
            replica.kill()
    click.echo(f"\nDemo finished (deposit exit code {code}). Everything is in {DEMO}.")
    return code


if __name__ == "__main__":
    sys.exit(main())
