"""The shipped deployment files: a server config and a systemd unit that fit together."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.cli.output import EXIT_CONFIG
from agent.config import load_config
from portal.settings import PortalSettings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
STATE = Path("/var/lib/accrochage")


def _unit(name: str = "accrochage-agent.service") -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, keys repeated as systemd allows."""
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def test_deploy_config_keeps_all_state_under_var_lib() -> None:
    """The server config validates, with absolute state paths the unit lets the service write."""
    config = load_config(DEPLOY / "accrochage.toml")
    for path in (config.agent.data_dir, config.agent.inbox, config.credentials.keyring_file):
        assert path is not None
        assert path.is_absolute()
        assert STATE in path.parents
    assert config.credentials.backend == "file"
    assert config.credentials.key_file is not None
    assert STATE not in config.credentials.key_file.parents  # the key stays off data backups
    assert _unit()["ReadWritePaths"] == [str(STATE)]
    assert _unit()["Environment"][0] == "ACCROCHAGE_CONFIG=/etc/accrochage/accrochage.toml"


def test_deploy_unit_stop_and_restart_policy() -> None:
    """Config errors are not restarted; the stop timeout leaves room to finish an upload."""
    unit = _unit()
    assert unit["RestartPreventExitStatus"] == [str(EXIT_CONFIG)]
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].endswith("/accrochage run")
    portal = PortalSettings()
    assert int(unit["TimeoutStopSec"][0]) > portal.upload_timeout_s + portal.confirm_timeout_s
    assert "MemoryDenyWriteExecute" not in unit  # V8's JIT: Chromium would not start
    assert re.search(
        r"#OnFailure=accrochage-notify@%n\.service",
        (DEPLOY / "accrochage-agent.service").read_text(),
    )
    assert _unit("accrochage-notify@.service")["Type"] == ["oneshot"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_deploy_unit_exposure_measured_by_systemd() -> None:
    """systemd-analyze security rates the unit's exposure at 2.0 or below ("OK")."""
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "accrochage-agent.service"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    found = re.search(
        r"Overall exposure level for accrochage-agent\.service: ([\d.]+)", done.stdout
    )
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.0
