"""The object every CLI command receives: global options and the lazily loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from agent.config import Config, ConfigError, find_config, load_config


@dataclass
class AppContext:
    """Global options of ``accrochage``; ``config`` is loaded on first use."""

    config_option: Path | None = None
    verbose: bool = False
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
                raise click.ClickException(str(exc)) from exc
        return self._config


pass_app = click.make_pass_decorator(AppContext)
