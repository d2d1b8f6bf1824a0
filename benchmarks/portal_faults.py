"""How the agent copes with a flaky portal: the replica answering HTTP 500 at a given rate.

For each error rate, a fresh replica (seeded draws) and a fresh agent (the end-to-end tests'
configuration: 6 step attempts within 90 s) deposit the same export (``--rows`` rows,
``--per-file`` passages a file) with ``accrochage deposit now --wait``, run again until every
passage is accepted or ``--max-runs`` runs have been made. Reported: wall time, runs, step
attempts that failed (``attempt N failed``), pages loaded again on the spot, passages accepted.
``--agent-pythonpath DIR`` runs the agent from another source tree (e.g. an older commit
extracted with ``git archive``) against the same replica, with ``--legacy`` leaving out config
keys that tree does not know.

    .venv/bin/python benchmarks/portal_faults.py --rates 0.2 0.5
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import keyring_at, make_agent, rows_for  # noqa: E402 - after the path
from tests.sandbox_server import running_sandbox  # noqa: E402 - after the path

PATTERNS = {
    "failed_attempts": re.compile(r"attempt \d+ failed"),
    "page_reloads": re.compile(r"loading the page again|asking again in"),
}


def measure(rate: float, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Deposit the export through a replica failing at ``rate``; the figures of the runs."""
    with running_sandbox(work / "replica", processing_delay_s=0.5) as replica:
        keys = keyring_at(work / "keys", replica)
        agent = make_agent(
            work / "agent",
            replica,
            keys,
            config=f"[build]\nmax_passages_per_file = {args.per_file}\n",
            portal="" if args.legacy else "page_retry_delay_s = 0.5\n",
        )
        if args.agent_pythonpath:
            agent.env["PYTHONPATH"] = str(args.agent_pythonpath)
        agent.drop("export.csv", rows_for("FLAKY", args.rows))
        replica.set_faults(error_rate=rate, error_seed=args.seed)
        counts = dict.fromkeys(PATTERNS, 0)
        runs = accepted = 0
        started = time.monotonic()
        while runs < args.max_runs and accepted < args.rows:
            runs += 1
            done = agent.run("deposit", "now", "--wait")
            for key, pattern in PATTERNS.items():
                counts[key] += len(pattern.findall(done.stderr + done.stdout))
            accepted = agent.json("status")["passages"].get("accepted", 0)
        seconds = time.monotonic() - started
    return {
        "error_rate": rate,
        "seconds": round(seconds, 1),
        "runs": runs,
        "accepted": accepted,
        "rows": args.rows,
        **counts,
    }


def main() -> None:
    """Parse the arguments, measure each rate, print one JSON line per rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.2, 0.5])
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--per-file", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-runs", type=int, default=10)
    parser.add_argument("--agent-pythonpath", type=Path)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    for rate in args.rates:
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            result = measure(rate, args, Path(tmp))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
