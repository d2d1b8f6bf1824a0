"""Taking passages out: ``withdraw`` (never deposit, or ``--at-cdc``: delete at the CDC),
``correct`` (send a held correction: SUPPRESSION, then the corrected CREATION) and
``redeclare`` (a withdrawn passage declared again). Each parses, calls
:mod:`agent.withdrawal`, renders; the next run (``deposit now`` or the service) deposits."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from agent.context import AppContext, pass_app
from agent.store import StorePort, open_store
from agent.withdrawal import (
    redeclare,
    request_corrections,
    request_withdrawals,
    withdraw_locally,
)

_NEXT_RUN = "the next run deposits it (`accrochage deposit now --wait` to do it now)"


def _open_store(app: AppContext) -> StorePort:
    return open_store(app.config)


def _ids_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command taking idTechniques, ``--emitter`` and ``--json``, with the app context."""

    def wrap(function: Callable[..., None]) -> click.Command:
        function = pass_app(function)
        function = click.option(
            "--json", "as_json", is_flag=True, help="Print the outcome as JSON."
        )(function)
        function = click.option(
            "--emitter", default=None, help="Emitter BCR, when several emitters share an id."
        )(function)
        function = click.argument("id_techniques", nargs=-1, required=True)(function)
        return click.command(name=name)(function)

    return wrap


def _done(as_json: bool, key: str, ids: list[str], line: str) -> None:
    if as_json:
        click.echo(json.dumps({key: ids}, ensure_ascii=False))
    else:
        click.echo(line)


@_ids_command("withdraw")
@click.option(
    "--at-cdc",
    is_flag=True,
    help="The CDC accepted it: ask the CDC to delete it (a SUPPRESSION file, schema 1.1.5).",
)
@click.option("--reason", default=None, help="Why (kept with the passage; with --at-cdc).")
def withdraw(
    app: AppContext,
    id_techniques: tuple[str, ...],
    at_cdc: bool,
    reason: str | None,
    emitter: str | None,
    as_json: bool,
) -> None:
    """Never deposit these passages (pending, invalid or rejected ones), or, with --at-cdc,
    delete accepted ones at the CDC."""
    if reason is not None and not at_cdc:
        raise click.UsageError("--reason goes with --at-cdc")
    with _open_store(app) as store:
        if not at_cdc:
            done = withdraw_locally(store, id_techniques, emitter=emitter)
            _done(as_json, "withdrawn", done, f"withdrawn: {', '.join(done)}")
            return
        done = request_withdrawals(
            store, id_techniques, emitter=emitter, reason=reason, settings=app.config.build
        )
    _done(
        as_json,
        "withdrawing",
        done,
        f"withdrawal at the CDC requested for {', '.join(done)}: a SUPPRESSION file; " + _NEXT_RUN,
    )


@_ids_command("correct")
def correct(
    app: AppContext, id_techniques: tuple[str, ...], emitter: str | None, as_json: bool
) -> None:
    """Send the held corrections of these accepted passages: the SUPPRESSION first, then the
    corrected record once the CDC's report on the SUPPRESSION is OK."""
    with _open_store(app) as store:
        done = request_corrections(store, id_techniques, emitter=emitter, settings=app.config.build)
    _done(
        as_json,
        "correcting",
        done,
        f"correction requested for {', '.join(done)}: SUPPRESSION first, the corrected row "
        f"once its report is OK; {_NEXT_RUN}",
    )


@_ids_command("redeclare")
def redeclare_command(
    app: AppContext, id_techniques: tuple[str, ...], emitter: str | None, as_json: bool
) -> None:
    """Declare withdrawn passages again (back to pending, with their stored record)."""
    with _open_store(app) as store:
        done = redeclare(store, id_techniques, emitter=emitter)
    _done(as_json, "pending", done, f"back to pending: {', '.join(done)}; {_NEXT_RUN}")


COMMANDS: list[click.Command] = [withdraw, correct, redeclare_command]
