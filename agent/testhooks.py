"""Test hook: kill the agent process at a named step of the workflow.

Set ``ACCROCHAGE_TEST_CRASH_AT`` to one of :data:`CRASH_POINTS` and the process exits at once
with status 137 (as if SIGKILLed) when it reaches that step: nothing is flushed, no
``finally`` runs. The end-to-end tests use it to prove that a restart neither loses nor
duplicates a passage. It is never set in production; an unknown value is ignored.

- ``after_import``: the inbox was imported and committed, nothing built yet.
- ``after_build``: batches were built and committed as ``built``, nothing uploaded.
- ``during_upload``: the batch is committed as ``uploading``, the upload not started.
- ``after_upload``: the portal confirmed the upload, the agent has not recorded it yet.
- ``during_report``: the accusé de traitement was downloaded but not applied yet.
- ``before_notify``: the run ended and logged its events, no notification sent yet.
"""

from __future__ import annotations

import logging
import os

CRASH_ENV = "ACCROCHAGE_TEST_CRASH_AT"
CRASH_POINTS = frozenset(
    {
        "after_import",
        "after_build",
        "during_upload",
        "after_upload",
        "during_report",
        "before_notify",
    }
)
EXIT_STATUS = 137

log = logging.getLogger(__name__)


def crash_point(name: str) -> None:
    """Exit the process immediately if the test hook names this step."""
    if os.environ.get(CRASH_ENV) == name:
        log.warning("test hook %s=%s: exiting now", CRASH_ENV, name)
        logging.shutdown()
        os._exit(EXIT_STATUS)
