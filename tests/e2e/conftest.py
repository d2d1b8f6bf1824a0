"""End-to-end fixtures: one real replica per module, agents run as real subprocesses.

Each ``Agent`` has its own data directory, config (base_url = the replica) and encrypted-file
keyring holding the replica's password; ``agent.run(...)`` runs ``accrochage`` in a
subprocess, optionally killed at a workflow step (``ACCROCHAGE_TEST_CRASH_AT``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.testhooks import EXIT_STATUS
from tests.agent.helpers import row, write_export
from tests.sandbox_server import SandboxHandle, running_sandbox

ACCROCHAGE = Path(sys.executable).with_name("accrochage")
#: The replica's password in these tests: a recognisable canary, searched for in every file an
#: agent run writes (it must only ever exist inside the encrypted keyring).
CANARY_PASSWORD = "canary-Pw-" + secrets.token_hex(6)

CONFIG = """\
[agent]
data_dir = "data"
inbox_settle_s = 0

[declarant]
id_client_emetteur = "12ABC345"
id_client_certificateur = "12ABC345"
id_contrat = "MCFCER000123"
nature_deposant = "CERTIFICATEUR"

[portal]
base_url = "{url}"
username = "{username}"
action_timeout_s = 15
confirm_timeout_s = 20
retry_attempts = 6
retry_total_s = 90
retry_base_delay_s = 0.5
retry_max_delay_s = 4

[schedule]
poll_interval_s = 0.5
wait_timeout_s = 90
"""


@dataclass
class Agent:
    """One agent installation (config, data, keyring) driven through its CLI."""

    root: Path
    env: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def run(
        self, *args: str, crash_at: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``accrochage ARGS`` (bounded by a timeout)."""
        env = dict(self.env)
        if crash_at:
            env["ACCROCHAGE_TEST_CRASH_AT"] = crash_at
        return subprocess.run(
            [str(ACCROCHAGE), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    def json(self, *args: str) -> Any:
        """Run a ``--json`` command and parse its output."""
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def drop(self, name: str, rows: Sequence[dict[str, str]]) -> Path:
        """Put an export in the inbox (the data directory made owner-only first, as the agent
        makes it: a folder others can read would be warned about)."""
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        return write_export(self.data_dir / "inbox" / name, rows)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One real replica for the module."""
    with running_sandbox(
        tmp_path_factory.mktemp("replica"), processing_delay_s=0.5, password=CANARY_PASSWORD
    ) as handle:
        yield handle


def _agent_at(root: Path, sandbox: SandboxHandle) -> Agent:
    root.mkdir(mode=0o700, exist_ok=True)
    (root / "accrochage.toml").write_text(
        CONFIG.format(url=sandbox.url, username=sandbox.username), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCROCHAGE_", "KEYRING_"))}
    env.update(
        PYTHON_KEYRING_BACKEND="portal.keyring_file.AgentCryptFileKeyring",
        KEYRING_CRYPTFILE_PATH=str(root / "keyring.cfg"),
        KEYRING_CRYPTFILE_PASSWORD_FILE=str(root / "keyring-key"),
        ACCROCHAGE_CONFIG=str(root / "accrochage.toml"),
    )
    return Agent(root, env)


@pytest.fixture(scope="module")
def keyring_files(tmp_path_factory: pytest.TempPathFactory, sandbox: SandboxHandle) -> Path:
    """An encrypted keyring holding the replica's password, stored once per module."""
    return keyring_at(tmp_path_factory.mktemp("keyring") / "agent", sandbox)


def keyring_at(root: Path, sandbox: SandboxHandle) -> Path:
    """Store the replica's password in a new encrypted keyring under ``root``; returns root."""
    root.mkdir(mode=0o700)
    fd = os.open(root / "keyring-key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, secrets.token_urlsafe(16).encode())
    os.close(fd)
    done = _agent_at(root, sandbox).run("credentials", "set", stdin=sandbox.password + "\n")
    assert done.returncode == 0, done.stderr
    return root


def make_agent(
    root: Path, sandbox: SandboxHandle, keyring_files: Path, *, config: str = "", portal: str = ""
) -> Agent:
    """An agent in ``root`` whose keyring holds the password; ``config`` is appended to its
    config file and ``portal`` lines are added to its ``[portal]`` table."""
    made = _agent_at(root, sandbox)
    path = made.root / "accrochage.toml"
    text = path.read_text(encoding="utf-8").replace("[portal]\n", f"[portal]\n{portal}")
    path.write_text(text + config, encoding="utf-8")
    for name in ("keyring-key", "keyring.cfg"):
        shutil.copy2(keyring_files / name, made.root / name)
    return made


@pytest.fixture
def agent(tmp_path: Path, sandbox: SandboxHandle, keyring_files: Path) -> Agent:
    """A configured agent (own data directory) whose keyring holds the replica's password."""
    return make_agent(tmp_path / "agent", sandbox, keyring_files)


def rows_for(prefix: str, count: int, **overrides: str) -> list[dict[str, str]]:
    """``count`` valid rows with unique idTechnique (the replica keys duplicates on them)."""
    return [row(f"{prefix}-{i:03d}", **overrides) for i in range(count)]


_ID = re.compile(rb"<(?:cpf:)?idTechnique>([^<]+)</(?:cpf:)?idTechnique>")


def uploaded_ids(sandbox: SandboxHandle) -> list[str]:
    """Every idTechnique in every file the replica received (duplicates kept)."""
    found: list[str] = []
    for path in sorted((sandbox.data_dir / "deposits").glob("*.xml")):
        found += [m.decode() for m in _ID.findall(path.read_bytes())]
    return found


def ours(sandbox: SandboxHandle, prefix: str) -> Counter[str]:
    """How many times the replica received each idTechnique starting with ``prefix``."""
    return Counter(i for i in uploaded_ids(sandbox) if i.startswith(prefix))


def check_killed_and_restarted(agent: Agent, sandbox: SandboxHandle, crash_at: str) -> None:
    """Kill ``deposit now`` at a workflow step, run it again: every passage deposited exactly
    once (in one file, received once), none lost."""
    prefix = f"CRASH-{crash_at}"
    agent.drop("export.csv", rows_for(prefix, 3))
    crashed = agent.run("deposit", "now", "--wait", crash_at=crash_at)
    assert crashed.returncode == EXIT_STATUS, crashed.stdout + crashed.stderr
    again = agent.run("deposit", "now", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert agent.json("status")["passages"] == {"accepted": 3}
    assert ours(sandbox, prefix) == {f"{prefix}-{i:03d}": 1 for i in range(3)}
    [batch] = agent.json("status")["batches"]
    names = [d["file_name"] for d in sandbox.deposits()]
    assert names.count(batch["name"]) == 1


def wait_until(
    what: str, done: Callable[[], bool], timeout: float = 150.0, poll: float = 0.1
) -> None:
    """Poll ``done`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)  # poll interval, bounded by the deadline above
