"""The object every CLI command receives: global options and the lazily loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from agent.config import Config, ConfigError, find_config, load_config

#: Exit code of a command stopped by its configuration (sysexits' EX_CONFIG): the systemd
#: unit lists it in RestartPreventExitStatus=, since restarting cannot fix a config.
EXIT_CONFIG = 78


class ConfigProblem(click.ClickException):
    """The config (or what it names) stops the command; exit code 78."""

    exit_code = EXIT_CONFIG


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
                raise ConfigProblem(str(exc)) from exc
        return self._config


pass_app = click.make_pass_decorator(AppContext)
