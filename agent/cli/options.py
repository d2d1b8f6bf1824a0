"""Options several commands share, declared once.

``--config`` and ``--verbose`` are the root group's (:mod:`agent.cli.main`); the ones here
are per command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from builders.cdc.versions import VERSIONS

F = TypeVar("F", bound=Callable[..., object])

#: The schema versions a command can target, newest first.
SCHEMA_VERSIONS = click.Choice(list(reversed(VERSIONS)))


def json_option(help_text: str = "Print as JSON.") -> Callable[[F], F]:
    """``--json``: print one JSON document on stdout instead of text (``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def schema_version_option(help_text: str) -> Callable[[F], F]:
    """``--schema-version``: one of the CDC schema versions (None: the config's)."""
    return click.option("--schema-version", type=SCHEMA_VERSIONS, default=None, help=help_text)
