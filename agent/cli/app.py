"""The object every CLI command receives: global options, the lazily loaded config, and
what a command builds from them (the run context, the store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from agent.checkpoint import Checkpoint
from agent.cli.output import ConfigProblem
from agent.config import Config, ConfigError, find_config, load_config
from agent.context import Progress, RunContext
from agent.meter import NO_METER, Meter
from agent.paths import AgentPaths
from agent.store import StorePort, open_store
from agent.testhooks import crash_checkpoint
from agent.where import require_store


@dataclass
class AppContext:
    """Global options of ``accrochage``; ``config`` is loaded on first use."""

    config_option: Path | None = None
    verbose: bool = False
    #: Test hook: the workflow step at which to kill the process (hidden option).
    crash_at: str | None = None
    _config: Config | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path | None:
        return find_config(self.config_option)

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise ConfigProblem(str(exc)) from exc
        return self._config

    @property
    def checkpoint(self) -> Checkpoint:
        """The crash checkpoint the workflow gets (a no-op unless the test hook is set)."""
        return crash_checkpoint(self.crash_at)

    def run_context(self, *, progress: Progress, meter: Meter = NO_METER) -> RunContext:
        """The context of one run of the workflow, built once."""
        return RunContext.create(
            self.config, progress=progress, meter=meter, checkpoint=self.checkpoint
        )

    def paths(self) -> AgentPaths:
        """The data directory's layout."""
        return AgentPaths.from_config(self.config)

    def existing_store(self) -> StorePort:
        """The existing store: a command that only reads or amends never creates one.

        Raises:
            NoAgentData: there is no store; the message says where the command looked.
        """
        require_store(self.config_path, self.config)
        return open_store(self.config)


pass_app = click.make_pass_decorator(AppContext)
