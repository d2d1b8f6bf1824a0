"""The agent's way to the portal: a factory of fresh ``PlaywrightPortal`` instances.

The workflow receives this factory as a keyword-only collaborator (tests pass a
``FakePortal`` instead). Each call builds a new client; the browser itself starts when the
client is entered, in the calling thread (Playwright's sync API is not thread-safe). The
password is read from the keyring only when the client logs in, through the login guard
(:mod:`agent.login_guard`), which refuses to type a password the portal already refused.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from agent.config import Config
from agent.deposit import PortalFactory
from agent.keyrings import keyring_choice
from agent.login_guard import LoginGuard
from agent.paths import AgentPaths
from portal.base import Portal


def default_login_guard(config: Config) -> LoginGuard:
    """The login guard of ``[portal]``'s account in this data directory."""
    from portal.credentials import password_provider

    return LoginGuard(
        config,
        config.portal.base_url,
        config.portal.username or "",
        password_provider(config.portal.username, keyring_choice(config)),
        timezone=config.agent.timezone,
    )


def default_portal_factory(config: Config, guard: LoginGuard, paths: AgentPaths) -> PortalFactory:
    """A factory building the Playwright client from ``[portal]``, the password coming from
    the keyring through ``guard``, its work files and evidence under ``paths``."""

    def make() -> AbstractContextManager[Portal]:
        from portal.browser import PlaywrightPortal

        return PlaywrightPortal(
            config.portal,
            password_provider=guard.provider(),
            work_dir=paths.portal_work,
            evidence_dir=paths.evidence,
        )

    return make
