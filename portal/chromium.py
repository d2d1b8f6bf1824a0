"""How Chromium is launched: which executable, and flags that keep it off the network.

The only traffic the agent wants is to the portal. Chromium's own background services
(component updates, sync, safe-browsing lists, field trials) are switched off by flags; any
request a portal page makes to another origin is aborted by the client's route handler
(``portal.browser``), using :func:`portal_origin` and :func:`is_portal_request`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from portal.settings import PortalSettings

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--no-pings",
    "--password-store=basic",
)


def chromium_executable(settings: PortalSettings, system: Path = SYSTEM_CHROMIUM) -> Path | None:
    """The Chromium to run: the configured one, else the system one, else None (Playwright's).

    Raises:
        FileNotFoundError: a configured ``chromium_path`` does not exist.
    """
    if settings.chromium_path is not None:
        if not settings.chromium_path.is_file():
            raise FileNotFoundError(f"portal.chromium_path {settings.chromium_path} does not exist")
        return settings.chromium_path
    return system if system.is_file() else None


#: Only as root: Chromium refuses to start its sandbox as root ("Running as root without
#: --no-sandbox is not supported", portal.md §4.1), because the sandbox relies on dropping
#: privileges root cannot meaningfully drop. Any other user keeps the sandbox, which confines
#: the renderer that parses the portal's pages.
NO_SANDBOX = "--no-sandbox"


def _is_root() -> bool:
    return os.geteuid() == 0


def launch_options(
    settings: PortalSettings,
    downloads_dir: Path,
    system: Path = SYSTEM_CHROMIUM,
    *,
    is_root: Callable[[], bool] = _is_root,
) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``.

    Chromium's sandbox is on unless the agent runs as root (see :data:`NO_SANDBOX`).
    """
    root = is_root()
    options: dict[str, Any] = {
        "headless": settings.headless,
        "args": [*CHROMIUM_ARGS, *([NO_SANDBOX] if root else [])],
        "downloads_path": str(downloads_dir),
        "chromium_sandbox": not root,
    }
    executable = chromium_executable(settings, system)
    if executable is not None:
        options["executable_path"] = str(executable)
    return options


def portal_origin(base_url: str) -> str:
    """``scheme://host[:port]`` of the portal, lower-cased, default ports dropped."""
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_portal_request(url: str, origin: str) -> bool:
    """Whether ``url`` may be requested: same origin as the portal, or browser-internal."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in {"data", "blob", "about"}:
        return True
    if scheme not in {"http", "https"}:
        return False
    return portal_origin(url) == origin
