"""How every command answers: JSON documents, exit codes, and the errors that carry them.

Commands print through :func:`dump` (``--json``) or ``click.echo`` (text), and end with an
exit code from here. Domain errors become ``Error: ...`` and exit code 1 (see
:class:`agent.cli.main.AppGroup`).

Exit codes:

- 0: done;
- 1: a failure (bad rows rejected, portal error, time-out, unknown batch...);
- 2: ``build`` on unusable input;
- 3: another run holds the lock (:class:`Locked`);
- 78: the configuration stops the command (:class:`ConfigProblem`, sysexits' EX_CONFIG): the
  systemd unit lists it in ``RestartPreventExitStatus=``, since restarting cannot fix a config;
- 130: interrupted by Ctrl-C (128 + SIGINT, what a shell reports).
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

EXIT_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_LOCKED = 3
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130


class ConfigProblem(click.ClickException):
    """The config (or what it names) stops the command; exit code 78."""

    exit_code = EXIT_CONFIG


class Locked(click.ClickException):
    """Another run holds the lock; exit code 3."""

    exit_code = EXIT_LOCKED


def dump(data: Any, *, compact: bool = False) -> None:
    """Print one JSON document on stdout (indented, unless ``compact``); non-JSON values
    (paths, dates) as strings."""
    text = json.dumps(data, ensure_ascii=False, indent=None if compact else 2, default=str)
    click.echo(text)


def echo_lines(lines: list[str]) -> None:
    """Print text lines on stdout."""
    for line in lines:
        click.echo(line)


def error(message: str) -> None:
    """Print ``Error: message`` on stderr (the command goes on, or exits after)."""
    click.echo(f"Error: {message}", err=True)


def exit_with(code: int) -> NoReturn:
    """End the command with this exit code."""
    sys.exit(code)
