"""The run context: what one agent run needs, built once by its entry point and passed down.

An entry point (a CLI command, a scheduler job) calls :meth:`RunContext.create` once per run:
the data directory's layout and the build fingerprint (which reads the imported XSD) are
computed there and nowhere else during the run. The clock, the progress sink, the meter and
the crash checkpoint are injected, so the steps never read the environment or the wall clock
on their own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from agent.build import fingerprint
from agent.checkpoint import Checkpoint, no_checkpoint
from agent.config import Config
from agent.meter import NO_METER, Meter
from agent.paths import AgentPaths
from agent.store import StorePort, open_store

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Progress = Callable[[str], None]


def utcnow() -> dt.datetime:
    """The production clock (aware, UTC)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RunContext:
    """One run's settings and collaborators (see the module docstring)."""

    config: Config
    paths: AgentPaths
    #: The build fingerprint (agent version, schema version, imported XSD) of this run.
    fingerprint: str
    now: Clock = utcnow
    progress: Progress = log.info
    meter: Meter = NO_METER
    checkpoint: Checkpoint = no_checkpoint

    @classmethod
    def create(
        cls,
        config: Config,
        *,
        now: Clock = utcnow,
        progress: Progress = log.info,
        meter: Meter = NO_METER,
        checkpoint: Checkpoint = no_checkpoint,
        paths: AgentPaths | None = None,
    ) -> RunContext:
        """The context of one run: paths (unless a long-lived caller such as the service
        passes the ones it computed at start) and the fingerprint computed here, once.

        Raises:
            StoreError: ``[store] url`` is malformed.
        """
        return cls(
            config=config,
            paths=paths or AgentPaths.from_config(config),
            fingerprint=fingerprint(config),
            now=now,
            progress=progress,
            meter=meter,
            checkpoint=checkpoint,
        )

    def open_store(self) -> StorePort:
        """Open (creating and migrating it if needed) this run's store, on this run's clock."""
        return open_store(self.config, now=self.now)
