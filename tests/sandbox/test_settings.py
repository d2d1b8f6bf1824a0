"""Sandbox settings: the README example validates, file and flags merge, faults validate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from portal.sandbox.faults import FaultState
from portal.sandbox.settings import (
    FaultSettings,
    SandboxSettingsError,
    build_settings,
    load_settings_file,
)
from tests.conftest import ROOT


def _readme_toml() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- SECTION:sandbox -->", 1)[1].split("<!-- /SECTION:sandbox -->")[0]
    match = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_settings_readme_example_validates(tmp_path: Path) -> None:
    """The [sandbox] example of the README loads, with paths relative to the file."""
    path = tmp_path / "sandbox.toml"
    path.write_text(_readme_toml(), encoding="utf-8")
    settings = build_settings(load_settings_file(path), {})
    assert settings.data_dir == tmp_path / "replica"
    assert settings.xsd == tmp_path / "cdc-certifications-1.1.5.xsd"
    assert settings.faults.error_seed == 42
    assert settings.faults.maintenance_start is not None
    assert settings.faults.maintenance_start.utcoffset() == timedelta(hours=1)


def test_settings_flags_override_the_file_key_by_key(tmp_path: Path) -> None:
    """Command-line values win; None values and untouched fault keys keep the file's."""
    path = tmp_path / "s.toml"
    path.write_text(
        '[sandbox]\ndata_dir = "d"\nport = 9000\n[sandbox.faults]\nlatency_ms = 5\n'
        "error_rate = 0.1\n",
        encoding="utf-8",
    )
    settings = build_settings(
        load_settings_file(path), {"port": 0, "username": None, "faults": {"error_rate": 0.5}}
    )
    assert settings.port == 0
    assert settings.username == "certificateur"
    assert settings.faults.latency_ms == 5
    assert settings.faults.error_rate == 0.5


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[sandbox]\ndata_dir = "d"\nport = 70000\n', "port"),
        ('[sandbox]\ndata_dir = "d"\nunknown = 1\n', "unknown"),
        ('[sandbox]\ndata_dir = "d"\nhost = "0.0.0.0"\n', "host"),
        ('[sandbox]\ndata_dir = "d"\n[sandbox.faults]\nerror_rate = 2\n', "faults.error_rate"),
    ],
)
def test_settings_invalid_values_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    """Each invalid key is named in the error."""
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SandboxSettingsError, match=message):
        build_settings(load_settings_file(path), {})


def test_settings_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    """A missing file and a non-TOML file both raise SandboxSettingsError naming the file."""
    with pytest.raises(SandboxSettingsError, match="not found"):
        load_settings_file(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[sandbox\n", encoding="utf-8")
    with pytest.raises(SandboxSettingsError, match="not valid TOML"):
        load_settings_file(broken)


def test_faults_maintenance_needs_aware_datetimes() -> None:
    """A naive maintenance time is refused."""
    with pytest.raises(ValidationError, match="UTC offset"):
        FaultSettings(maintenance_start=datetime(2026, 12, 1, 20, 0))  # noqa: DTZ001


def test_faults_state_maintenance_for_and_processing_delay() -> None:
    """maintenance_for_s opens a window from the injected now; delays update atomically."""
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    state = FaultState(FaultSettings(), 3.0, clock=lambda: now)
    assert not state.in_maintenance()
    state.update({"maintenance_for_s": 30, "processing_delay_s": 0})
    assert state.in_maintenance()
    assert state.faults.maintenance_end == now + timedelta(seconds=30)
    assert state.processing_delay_s == 0
    with pytest.raises(ValueError, match="processing_delay_s"):
        state.update({"processing_delay_s": -1, "latency_ms": 7})
    assert state.faults.latency_ms == 0
