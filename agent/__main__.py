"""``python -m agent``: the same as the ``accrochage`` command."""

from agent.cli import main

main()
