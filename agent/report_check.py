"""Does an accusé de traitement belong to this batch? Checked before anything is applied.

A report is applied only when it is, beyond doubt, the CDC's answer to this very file: its
``nomFichier`` is the batch's file name, its ``idFlux`` (when the report has one: the
rejected-file shape has none) is the flux id written in the file, every ``idTechnique`` it names
was in the file, and no passage is listed both accepted and refused. Anything else means the
report is for another file, altered, or corrupt: applying it could mark certificates accepted
that the CDC never saw (issue 11: 3 of 3 passages were).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from builders.cdc.reports import ProcessingReport

_SHOWN = 5  # ids quoted in a message, at most


def report_problems(
    report: ProcessingReport, *, file_name: str, id_flux: str, held: AbstractSet[str]
) -> list[str]:
    """Why ``report`` cannot be applied to the batch; empty when it can.

    Args:
        report: The parsed report.
        file_name: The batch's deposited file name.
        id_flux: The ``idFlux`` written in the batch's file.
        held: The idTechnique of every passage the batch's file holds.

    Returns:
        One sentence per problem found.
    """
    problems: list[str] = []
    if report.nom_fichier != file_name:
        problems.append(f"its nomFichier is {report.nom_fichier!r}, not {file_name!r}")
    if report.id_flux is not None and report.id_flux != id_flux:
        problems.append(f"its idFlux is {report.id_flux!r}, not the file's {id_flux!r}")
    outcomes: dict[str, bool] = {}
    both: list[str] = []
    for passage in report.passages:
        seen = outcomes.setdefault(passage.id_technique, passage.ok)
        if seen != passage.ok and passage.id_technique not in both:
            both.append(passage.id_technique)
    strangers = [i for i in outcomes if i not in held]
    if strangers:
        problems.append(
            f"it names {len(strangers)} idTechnique(s) the file does not hold: {_ids(strangers)}"
        )
    if both:
        problems.append(f"it lists {len(both)} passage(s) both OK and KO: {_ids(both)}")
    return problems


def _ids(ids: list[str]) -> str:
    more = f" (+{len(ids) - _SHOWN} more)" if len(ids) > _SHOWN else ""
    return ", ".join(repr(i[:60]) for i in ids[:_SHOWN]) + more
