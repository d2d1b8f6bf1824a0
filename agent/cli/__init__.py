"""The ``accrochage`` command line: one module per command group.

- :mod:`agent.cli.main`: the root group (global options, domain errors -> exit codes) and
  :func:`main`, the console-script entry point;
- :mod:`agent.cli.app`: what every command receives (config, run context, store);
- :mod:`agent.cli.options`: options several commands share (``--json``...);
- :mod:`agent.cli.output`: JSON output, exit codes; :mod:`agent.cli.render`: text views;
- the commands: :mod:`~agent.cli.build` (build, check, template), :mod:`~agent.cli.schema`
  (schema, cog), :mod:`~agent.cli.report` (report parse|import|html),
  :mod:`~agent.cli.service` (run, deposit now), :mod:`~agent.cli.status` (status, rejects,
  log), :mod:`~agent.cli.withdraw` (withdraw, correct, redeclare), :mod:`~agent.cli.portal`
  (credentials, portal probe), :mod:`~agent.cli.notify`, :mod:`~agent.cli.config` (config,
  doctor), :mod:`~agent.cli.sandbox`.

The CLI only parses and renders: the work is done by the ``agent`` modules it calls.
"""

from __future__ import annotations

from agent.cli.main import cli, main

__all__ = ["cli", "main"]
