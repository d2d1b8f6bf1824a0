"""How the agent copes with a flaky portal: the replica answering HTTP 500 at a given rate.

For each error rate, a fresh replica (seeded draws) and a fresh agent deposit the same export
(``--rows`` rows, ``--per-file`` passages a file) with ``accrochage deposit now --wait``, run
again until every passage is accepted or ``--max-runs`` runs have been made. Reported: wall
time, runs, step attempts that failed (``attempt N failed``), pages loaded again on the spot,
logins, passages accepted. ``--agent-pythonpath DIR`` runs the agent from another source tree
(e.g. an older commit extracted with ``git archive``) against the same replica, with
``--legacy`` leaving out config keys that tree does not know.

    .venv/bin/python benchmarks/portal_faults.py --rates 0.2 0.5
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from builders.columns import CANONICAL
from builders.template import EXAMPLE
from portal.sandbox.server import SandboxServer
from portal.sandbox.settings import SandboxSettings

ACCROCHAGE = Path(sys.executable).with_name("accrochage")
CONFIG = """\
[agent]
data_dir = "data"

[declarant]
id_client_emetteur = "12ABC345"
id_client_certificateur = "12ABC345"
id_contrat = "MCFCER000123"
nature_deposant = "CERTIFICATEUR"

[build]
max_passages_per_file = {per_file}

[portal]
base_url = "{url}"
username = "{username}"
action_timeout_s = 15
confirm_timeout_s = 20
retry_attempts = 6
retry_total_s = 90
retry_base_delay_s = 0.5
retry_max_delay_s = 4
{extra}
[schedule]
poll_interval_s = 0.5
wait_timeout_s = 90
"""
PATTERNS = {
    "failed_attempts": re.compile(r"attempt \d+ failed"),
    "page_reloads": re.compile(r"loading the page again|asking again in"),
    "logins": re.compile(r"logged in to the portal"),
}


def _agent(
    root: Path, url: str, username: str, password: str, args: argparse.Namespace
) -> dict[str, str]:
    root.mkdir(mode=0o700)
    extra = "" if args.legacy else "page_retry_delay_s = 0.5\n"
    (root / "accrochage.toml").write_text(
        CONFIG.format(url=url, username=username, per_file=args.per_file, extra=extra),
        encoding="utf-8",
    )
    fd = os.open(root / "keyring-key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, secrets.token_urlsafe(16).encode())
    os.close(fd)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCROCHAGE_", "KEYRING_"))}
    env.update(
        PYTHON_KEYRING_BACKEND="portal.keyring_file.AgentCryptFileKeyring",
        KEYRING_CRYPTFILE_PATH=str(root / "keyring.cfg"),
        KEYRING_CRYPTFILE_PASSWORD_FILE=str(root / "keyring-key"),
        ACCROCHAGE_CONFIG=str(root / "accrochage.toml"),
    )
    if args.agent_pythonpath:
        env["PYTHONPATH"] = str(args.agent_pythonpath)
    subprocess.run(
        [str(ACCROCHAGE), "credentials", "set"],
        input=password + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    inbox = root / "data" / "inbox"
    inbox.mkdir(parents=True)
    with (inbox / "export.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CANONICAL, delimiter=";")
        writer.writeheader()
        for index in range(args.rows):
            writer.writerow({**EXAMPLE, "idTechnique": f"FLAKY-{index:04d}"})
    return env


def measure(rate: float, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Deposit the export through a replica failing at ``rate``; the figures of the runs."""
    settings = SandboxSettings.model_validate(
        {
            "data_dir": work / "replica",
            "port": 0,
            "password": secrets.token_urlsafe(12),
            "admin_token": secrets.token_urlsafe(16),
            "processing_delay_s": 0.5,
            "faults": {"error_rate": rate, "error_seed": args.seed},
        }
    )
    server = SandboxServer(settings).start()
    try:
        password = settings.password.get_secret_value() if settings.password else ""
        env = _agent(work / "agent", server.url, settings.username, password, args)
        counts = dict.fromkeys(PATTERNS, 0)
        runs = 0
        accepted = 0
        started = time.monotonic()
        while runs < args.max_runs and accepted < args.rows:
            runs += 1
            done = subprocess.run(
                [str(ACCROCHAGE), "deposit", "now", "--wait"],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            for key, pattern in PATTERNS.items():
                counts[key] += len(pattern.findall(done.stderr + done.stdout))
            status = subprocess.run(
                [str(ACCROCHAGE), "status", "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            accepted = json.loads(status.stdout)["passages"].get("accepted", 0)
        return {
            "error_rate": rate,
            "seconds": round(time.monotonic() - started, 1),
            "runs": runs,
            "accepted": accepted,
            "rows": args.rows,
            **counts,
        }
    finally:
        server.stop()


def main() -> None:
    """Parse the arguments, measure each rate, print one JSON line per rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.2, 0.5])
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--per-file", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-runs", type=int, default=10)
    parser.add_argument("--agent-pythonpath", type=Path)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    for rate in args.rates:
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            result = measure(rate, args, Path(tmp))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
