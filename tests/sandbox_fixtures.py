"""Pytest fixtures over :func:`tests.sandbox_server.running_sandbox` (optional convenience).

Import them into a test module (or a conftest) to use them::

    from tests.sandbox_fixtures import sandbox_module, sandbox_function  # noqa: F401

- ``sandbox_module``: one real replica per test module (cheap to share; reset faults yourself);
- ``sandbox_function``: a fresh replica per test.

Both use the defaults of ``running_sandbox`` (user ``certificateur``, generated password,
processing delay 0.2 s, built-in rules unless the test passes an XSD through its own call).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox_server import SandboxHandle, running_sandbox


@pytest.fixture(scope="module")
def sandbox_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A real replica shared by every test of the module."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@pytest.fixture
def sandbox_function(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A real replica for one test."""
    with running_sandbox(tmp_path) as handle:
        yield handle
