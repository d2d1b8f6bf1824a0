"""The crash checkpoint: a callable the workflow calls with the name of each step it reached.

Production runs pass :func:`no_checkpoint`. The end-to-end tests pass one that kills the
process at a named step (:mod:`agent.testhooks`, wired by the CLI entry point only), to prove
that a restart neither loses nor duplicates a passage. Domain code never reads the
environment to decide this: it calls what it was given.

The steps, in the order a run meets them:

- ``after_import``: the inbox was imported and committed, nothing built yet.
- ``after_build``: batches were built and committed as ``built``, nothing uploaded.
- ``during_upload``: the batch is committed as ``uploading``, the upload not started.
- ``after_upload``: the portal confirmed the upload, the agent has not recorded it yet.
- ``during_report``: the accusé de traitement was downloaded but not applied yet.
- ``before_notify``: the run ended and logged its events, no notification sent yet.

A run holding its work lock in a PostgreSQL store gets its checkpoint :func:`checked`: at each
step, the lock must still be held (``agent.store_lock.HeldLock``), else the run stops there,
before its next upload, as a crash would stop it.
"""

from __future__ import annotations

from collections.abc import Callable

Checkpoint = Callable[[str], None]

CHECKPOINTS = (
    "after_import",
    "after_build",
    "during_upload",
    "after_upload",
    "during_report",
    "before_notify",
)


def no_checkpoint(_step: str) -> None:
    """The production checkpoint: does nothing."""


def checked(check: Callable[[], None], checkpoint: Checkpoint) -> Checkpoint:
    """``checkpoint``, calling ``check`` first at every step (which raises to stop the run)."""

    def step(name: str) -> None:
        check()
        checkpoint(name)

    return step
