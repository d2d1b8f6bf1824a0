"""Chromium launch options and the portal-only request filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.chromium import (
    CHROMIUM_ARGS,
    chromium_executable,
    is_portal_request,
    launch_options,
    portal_origin,
)
from portal.settings import PortalSettings


def test_chromium_flags_keep_it_off_the_network(tmp_path: Path) -> None:
    """The flags of the brief are all passed, headless by default, downloads in our folder."""
    options = launch_options(PortalSettings(), tmp_path, system=tmp_path / "absent")
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-gpu",
        "--no-first-run",
    ):
        assert flag in CHROMIUM_ARGS
        assert flag in options["args"]
    assert options["headless"] is True
    assert options["downloads_path"] == str(tmp_path)
    assert "executable_path" not in options  # Playwright's own when no system Chromium


@pytest.mark.parametrize(("root", "sandboxed"), [(True, False), (False, True)])
def test_chromium_sandbox_off_only_as_root(tmp_path: Path, *, root: bool, sandboxed: bool) -> None:
    """Chromium keeps its sandbox for any user but root, which cannot start it (issue 11)."""
    options = launch_options(
        PortalSettings(), tmp_path, system=tmp_path / "absent", is_root=lambda: root
    )
    assert options["chromium_sandbox"] is sandboxed
    assert ("--no-sandbox" in options["args"]) is root
    assert "--no-sandbox" not in CHROMIUM_ARGS


def test_chromium_executable_prefers_configured_then_system(tmp_path: Path) -> None:
    """Configured path first, then the system one, else None."""
    system = tmp_path / "chromium"
    configured = tmp_path / "my-chromium"
    assert chromium_executable(PortalSettings(), system) is None
    system.write_text("")
    assert chromium_executable(PortalSettings(), system) == system
    configured.write_text("")
    settings = PortalSettings(chromium_path=configured)
    assert chromium_executable(settings, system) == configured
    assert launch_options(settings, tmp_path, system)["executable_path"] == str(configured)


def test_chromium_configured_path_missing_is_an_error(tmp_path: Path) -> None:
    """A configured Chromium that does not exist is said, not silently replaced."""
    settings = PortalSettings(chromium_path=tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="chromium_path"):
        chromium_executable(settings, tmp_path / "also-nope")


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        (
            "https://certificateurs.moncompteformation.gouv.fr",
            "https://certificateurs.moncompteformation.gouv.fr",
        ),
        ("https://Portal.Example:443/espace-prive", "https://portal.example"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
    ],
)
def test_chromium_portal_origin(base: str, origin: str) -> None:
    """Origins are normalised: lower case, default ports dropped, path ignored."""
    assert portal_origin(base) == origin


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8765/espace-prive", True),
        ("http://127.0.0.1:8765/static/a.css?x=1", True),
        ("http://127.0.0.1:8766/", False),
        ("https://127.0.0.1:8765/", False),
        ("https://www.google-analytics.com/collect", False),
        ("data:image/png;base64,AAAA", True),
        ("ws://127.0.0.1:8765/", False),
    ],
)
def test_chromium_is_portal_request(url: str, allowed: bool) -> None:
    """Only the portal's own origin (and inline data) may be requested."""
    assert is_portal_request(url, "http://127.0.0.1:8765") is allowed
