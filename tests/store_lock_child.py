"""A stand-in for ``accrochage run`` on one machine: takes the service lock as ``run`` does
(:func:`agent.store_lock.agent_lock` with ``stand_by``), says when it is active, then stays.

Usage: ``python -m tests.store_lock_child STORE_URL DATA_DIR``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from agent.config import AgentSettings, Config, StoreSettings
from agent.lock import SCHEDULER, SERVICE
from agent.store_lock import agent_lock


def main(url: str, data_dir: str) -> None:
    config = Config(agent=AgentSettings(data_dir=Path(data_dir)), store=StoreSettings(url=url))
    with agent_lock(
        config,
        SCHEDULER,
        holder=SERVICE,
        stand_by=lambda active: print(f"standing by: {active}", flush=True),
    ):
        print("active", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
