"""The agent's way to the portal: a factory of fresh ``PlaywrightPortal`` instances.

The workflow receives this factory as a keyword-only collaborator (tests pass a
``FakePortal`` instead). Each call builds a new client; the browser itself starts when the
client is entered, in the calling thread (Playwright's sync API is not thread-safe). The
password is read from the keyring only when the client logs in.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from agent.config import Config
from agent.deposit import PortalFactory
from agent.paths import AgentPaths
from agent.where import keyring_choice
from portal.base import Portal


def default_portal_factory(config: Config) -> PortalFactory:
    """A factory building the Playwright client from ``[portal]`` and the keyring."""
    paths = AgentPaths.from_config(config)

    def make() -> AbstractContextManager[Portal]:
        from portal.browser import PlaywrightPortal
        from portal.credentials import password_provider

        return PlaywrightPortal(
            config.portal,
            password_provider=password_provider(config.portal.username, keyring_choice(config)),
            work_dir=paths.portal_work,
            evidence_dir=paths.evidence,
        )

    return make
