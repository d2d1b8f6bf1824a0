"""Plausibility: what the CDC will reject, or what a person would never mean, in a valid row.

A row can pass every rule of the dictionary and still be impossible. Errors (the row is not
declared):

- the certification date (``dateDebutValidite``) is in the future;
- it is before the holder's birth;
- the holder is born in the future, or under ``MIN_AGE`` (14) at the certification date;
- the exam ended (``dateFinExamen``, else ``dateDebutExamen``) after the certification date.

Warnings (the row is declared; the operator is told):

- the declaration is late: the 3-month deadline after the certification date has passed;
- the birth commune's ``codeInsee`` is a postal code: a Paris, Lyon or Marseille
  arrondissement's postal code (``75015``, ``69003`` when the label says Lyon...), or a code
  ending in ``000`` (no INSEE commune code does, many postal codes do);
- ``voieAccessVAE`` given although ``modaliteAcces`` is not VAE (``accrochage check`` warns too).

With INSEE's geographic code imported (``accrochage cog import``, ``builders.exports.cog``):
a birth commune code that did not exist at the birth date is an error, a commune label that is
not the code's name a warning.

A partial birth date (year, or month and year) is compared at its precision: a holder born
"in 2010" is under 14 on a date only if even 1 January 2010 is less than 14 years before it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from builders.cdc.models import PassageRecord, Titulaire
from builders.cdc.rules import vae_route_unexpected
from builders.exports.cog import Communes
from builders.exports.dates import cell_date

MIN_AGE: Final = 14
DEADLINE_MONTHS: Final = 3
#: How the late-declaration warning starts (the agent tracks deadlines itself).
LATE: Final = "late declaration"
_CITIES: Final = frozenset({"75", "69", "13"})
_LYON: Final = re.compile(r"6900[1-9]")
_MARSEILLE: Final = re.compile(r"130(0[1-9]|1[0-6])")
_PARIS: Final = re.compile(r"750(0[1-9]|1[0-9]|20)")


@dataclass(frozen=True)
class Finding:
    """One plausibility problem: the CDC field, what is wrong, and whether it only warns."""

    field: str
    message: str
    warning: bool = False


@lru_cache(maxsize=8192)  # dates repeat a lot in an export: computed once each
def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")  # pragma: no cover - unreachable


def _earliest_birth(holder: Titulaire) -> dt.date:
    """The earliest day the (possibly partial) birth date allows."""
    return dt.date(holder.anneeNaissance, holder.moisNaissance or 1, holder.jourNaissance or 1)


def _latest_birth(holder: Titulaire) -> dt.date:
    """The latest day the (possibly partial) birth date allows."""
    year, month = holder.anneeNaissance, holder.moisNaissance
    if month is None:
        return dt.date(year, 12, 31)
    if holder.jourNaissance is None:
        return add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    return dt.date(year, month, holder.jourNaissance)


def _cog_findings(holder: Titulaire, communes: Communes) -> list[Finding]:
    code = holder.codeInsee
    if code is None or code.startswith("99"):
        return []
    born = (_earliest_birth(holder), _latest_birth(holder))
    error, warning = communes.check(code, born, holder.libelleCommuneNaissance)
    if error is not None:
        return [Finding("codeInsee", error)]
    if warning is not None:
        return [Finding("libelleCommuneNaissance", warning, warning=True)]
    return []


def _birth_findings(
    holder: Titulaire, certified: dt.date, today: dt.date, birth_field: str
) -> list[Finding]:
    earliest = _earliest_birth(holder)
    if earliest > today:
        return [Finding(birth_field, f"in the future (today is {cell_date(today)})")]
    if certified < earliest:
        return [
            Finding(
                "dateDebutValidite",
                f"before the holder's birth ({_written(holder)}): check both dates",
            )
        ]
    if certified < add_months(earliest, 12 * MIN_AGE):  # under 14 even if born at the earliest
        before = (certified.month, certified.day) < (earliest.month, earliest.day)
        age = certified.year - earliest.year - before
        return [
            Finding(
                birth_field,
                f"the holder would be {age} at the certification date "
                f"({cell_date(certified)}): at least {MIN_AGE} expected; check the birth year",
            )
        ]
    return []


def _written(holder: Titulaire) -> str:
    if holder.moisNaissance is None:
        return str(holder.anneeNaissance)
    if holder.jourNaissance is None:
        return f"{holder.moisNaissance:02d}/{holder.anneeNaissance}"
    return f"{holder.jourNaissance:02d}/{holder.moisNaissance:02d}/{holder.anneeNaissance}"


def _commune_findings(holder: Titulaire) -> list[Finding]:
    code = holder.codeInsee
    if code is None or (code[:2] not in _CITIES and not code.endswith("000")):
        return []  # neither an arrondissement's postal code nor one ending in 000
    label = (holder.libelleCommuneNaissance or "").upper()
    city = None
    if _PARIS.fullmatch(code):
        city = "Paris"
    elif _LYON.fullmatch(code) and (not label or "LYON" in label):
        city = "Lyon"
    elif _MARSEILLE.fullmatch(code) and (not label or "MARSEILLE" in label):
        city = "Marseille"
    if city is not None:
        return [
            Finding(
                "codeInsee",
                f"{code} looks like the postal code of a {city} arrondissement, not its INSEE "
                f"code (Paris 751xx, Lyon 6938x, Marseille 132xx); the CDC matches the INSEE code",
                warning=True,
            )
        ]
    if code.endswith("000"):
        return [
            Finding(
                "codeInsee",
                f"{code} looks like a postal code (no INSEE commune code ends in 000); give the "
                "commune's INSEE code",
                warning=True,
            )
        ]
    return []


def findings(
    record: PassageRecord,
    today: dt.date,
    *,
    birth_field: str,
    communes: Communes | None = None,
) -> list[Finding]:
    """Every plausibility finding of a valid record (see the module docstring).

    Args:
        record: the validated record.
        today: the day of the import (Europe/Paris).
        birth_field: the column the birth date came from (``dateNaissance`` or
            ``anneeNaissance``), named in findings about the birth date.
        communes: INSEE's geographic code when imported (``builders.exports.cog``): the
            birth commune must have existed at the birth date, its name should match.
    """
    passage = record.passage
    certified = passage.dateDebutValidite
    found: list[Finding] = []
    if certified > today:
        found.append(
            Finding(
                "dateDebutValidite",
                f"in the future (today is {cell_date(today)}): declare a certificate once it "
                "is awarded",
            )
        )
    exam_field = "dateFinExamen" if passage.dateFinExamen is not None else "dateDebutExamen"
    exam = passage.dateFinExamen or passage.dateDebutExamen
    if exam is not None and exam > certified:
        found.append(
            Finding(
                exam_field,
                f"after the certification date dateDebutValidite ({cell_date(certified)}): "
                "the exam comes before the certificate",
            )
        )
    holder = passage.identificationTitulaire.titulaire
    if holder is not None:
        found += _birth_findings(holder, certified, today, birth_field)
        found += _commune_findings(holder)
        if communes is not None:
            found += _cog_findings(holder, communes)
    deadline = add_months(certified, DEADLINE_MONTHS)
    if deadline < today:
        found.append(
            Finding(
                "dateDebutValidite",
                f"{LATE}: the {DEADLINE_MONTHS}-month deadline after the "
                f"certification date passed on {cell_date(deadline)}",
                warning=True,
            )
        )
    inscription = passage.modalitesInscription
    vae = vae_route_unexpected(inscription.modaliteAcces, inscription.voieAccessVAE)
    if vae is not None:
        found.append(Finding("voieAccessVAE", vae, warning=True))
    return found
