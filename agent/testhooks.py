"""Test hook: a crash checkpoint that kills the agent process at a named workflow step.

Only the CLI entry point builds it, from the hidden ``--test-crash-at`` option (or
``ACCROCHAGE_TEST_CRASH_AT``, read once by click); domain code only receives a
:data:`agent.checkpoint.Checkpoint`. At the named step (one of
:data:`agent.checkpoint.CHECKPOINTS`) the process exits at once with status 137 (as if
SIGKILLed): nothing is flushed, no ``finally`` runs. It is never set in production; an
unknown step name is ignored (with a warning).
"""

from __future__ import annotations

import logging
import os

from agent.checkpoint import CHECKPOINTS, Checkpoint, no_checkpoint

CRASH_ENV = "ACCROCHAGE_TEST_CRASH_AT"
CRASH_POINTS = frozenset(CHECKPOINTS)
EXIT_STATUS = 137

log = logging.getLogger(__name__)


def crash_checkpoint(step: str | None) -> Checkpoint:
    """The checkpoint that exits the process at ``step``; the no-op one for None or unknown."""
    if not step:
        return no_checkpoint
    if step not in CRASH_POINTS:
        log.warning("test hook %s=%s: not a checkpoint, ignored", CRASH_ENV, step)
        return no_checkpoint

    def crash(reached: str) -> None:
        if reached == step:
            log.warning("test hook %s=%s: exiting now", CRASH_ENV, step)
            logging.shutdown()
            os._exit(EXIT_STATUS)

    return crash
