"""Corpus cases: values as spreadsheets write them, plausibility, messages that scale.

Dates are relative to today (a month ago), so that no case is late or in the future by
accident; the cases about lateness and the future set their own dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from .harness import Case, csv_file, rows_of, xlsx_file

TODAY = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
CERTIFIED = TODAY - dt.timedelta(days=30)
EXAM_START = CERTIFIED - dt.timedelta(days=25)
EXAM_END = CERTIFIED - dt.timedelta(days=23)

HEADERS = (
    "idTechnique",
    "type",
    "code",
    "obtentionCertification",
    "donneeCertifiee",
    "dateDebutExamen",
    "dateFinExamen",
    "codePostalCentreExamen",
    "dateDebutValidite",
    "modaliteAcces",
    "voieAccessVAE",
    "nomNaissance",
    "prenom1",
    "anneeNaissance",
    "moisNaissance",
    "jourNaissance",
    "sexe",
    "codeInsee",
    "libelleCommuneNaissance",
    "admis",
)
_PEOPLE = (
    ("Martin", "Léa", 1990, 3, 14, "F"),
    ("Bernard", "Hugo", 1985, 11, 2, "M"),
    ("Dubois", "Chloé", 1998, 7, 27, "F"),
    ("Thomas", "Noé", 1979, 1, 9, "M"),
    ("Petit", "Inès", 2001, 5, 30, "F"),
)


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def row(number: int, **changes: object) -> dict[str, object]:
    """Candidate ``number`` (1-5 are different people) as CDC-named cells."""
    nom, prenom, year, month, day, sexe = _PEOPLE[(number - 1) % len(_PEOPLE)]
    cells: dict[str, object] = {
        "idTechnique": f"2024-{number:04d}",
        "type": "RNCP",
        "code": "RNCP34567",
        "obtentionCertification": "PAR_ADMISSION",
        "donneeCertifiee": "oui",
        "dateDebutExamen": _dmy(EXAM_START),
        "dateFinExamen": _dmy(EXAM_END),
        "codePostalCentreExamen": "69003",
        "dateDebutValidite": _dmy(CERTIFIED),
        "modaliteAcces": "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
        "voieAccessVAE": "",
        "nomNaissance": nom,
        "prenom1": prenom,
        "anneeNaissance": year,
        "moisNaissance": month,
        "jourNaissance": day,
        "sexe": sexe,
        "codeInsee": "69123",
        "libelleCommuneNaissance": "Lyon",
        "admis": "oui",
    }
    cells.update(changes)
    return cells


def table(*rows: dict[str, object], headers: Sequence[str] = HEADERS) -> list[list[object]]:
    """The header and the rows, in ``headers`` order."""
    return [list(headers), *([cells.get(name, "") for name in headers] for cells in rows)]


def _serial(day: dt.date) -> str:
    return str((day - dt.date(1899, 12, 30)).days)


_DATE_FORMS = (
    _dmy(CERTIFIED),
    CERTIFIED.strftime("%d-%m-%Y"),
    CERTIFIED.strftime("%d.%m.%Y"),
    CERTIFIED.isoformat(),
    CERTIFIED.strftime("%Y/%m/%d"),
    f"{CERTIFIED.isoformat()}T14:30:00+02:00",
    f"{CERTIFIED.isoformat()} 14:30:00",
    _serial(CERTIFIED),
    CERTIFIED.strftime("%d/%m/%y"),
)
_ALL_DATES = [
    row(
        1 + index % 5,
        idTechnique=f"D{index}",
        dateDebutValidite=form,
        nomNaissance=f"Nom {chr(65 + index)}",
    )
    for index, form in enumerate(_DATE_FORMS)
]
_LATE = CERTIFIED - dt.timedelta(days=150)

CASES = [
    Case(
        "values-dates-every-written-form-csv",
        csv_file("dates.csv", table(*_ALL_DATES)),
        0,
        valid=len(_DATE_FORMS),
    ),
    Case(
        "values-excel-date-cells-with-time-xlsx",
        xlsx_file(
            "dates.xlsx",
            {
                "Feuil1": table(
                    row(1, dateDebutValidite=dt.datetime.combine(CERTIFIED, dt.time(14, 30))),
                    row(2, dateDebutValidite=dt.datetime.combine(CERTIFIED, dt.time(0))),
                    row(3, dateDebutExamen=EXAM_START, dateFinExamen=EXAM_END),
                )
            },
        ),
        0,
        valid=3,
    ),
    Case(
        "values-codes-as-numbers-xlsx",
        xlsx_file(
            "codes.xlsx",
            {
                "Feuil1": table(
                    row(1, codeInsee=1053, libelleCommuneNaissance="Bourg-en-Bresse"),
                    row(2, codePostalCentreExamen=6000, code=34567),
                    row(3, anneeNaissance=1998.0, codeInsee=69123.0),
                )
            },
        ),
        0,
        valid=3,
    ),
    Case(
        "values-float-artifacts-csv",
        csv_file(
            "floats.csv",
            table(
                row(1, codeInsee="69123.0", anneeNaissance="1990.0"),
                row(2, codePostalCentreExamen="6000.0", code="34567.0"),
                row(3, codeInsee="1053,0", libelleCommuneNaissance="Bourg-en-Bresse"),
            ),
        ),
        0,
        valid=3,
    ),
    Case(
        "values-scientific-notation-refused",
        csv_file(
            "sci.csv",
            table(row(1), row(2, codePostalCentreExamen="6,9123E+4"), row(3, code="3,4567E+4")),
        ),
        1,
        valid=1,
        rejected=rows_of((3, "codePostalCentreExamen"), (4, "code")),
        says=("scientific notation: its digits are lost",),
    ),
    Case(
        "values-impossible-date-one-message",
        csv_file("impossible.csv", table(row(1), row(2, dateDebutValidite="31/04/2024"))),
        1,
        valid=1,
        rejected=rows_of((3, "dateDebutValidite")),
        says=("not a real calendar date (April 2024 has 30 days)",),
    ),
    Case(
        "values-us-date-order-refused",
        csv_file("us.csv", table(row(1, dateDebutValidite="06/28/2024"))),
        1,
        rejected=rows_of((2, "dateDebutValidite")),
        says=("there is no month 28: dates are read day first",),
    ),
    Case(
        "values-names-with-nbsp-tabs-zero-width-cp1252",
        csv_file(
            "names.csv",
            table(
                row(1, nomNaissance="Le\u00a0 Goff", prenom1="Anne\tMarie"),
                row(2, nomNaissance="\u200bN’Diaye", prenom1="Éloïse"),
            ),
            encoding="utf-8",
        ),
        0,
        valid=2,
    ),
    Case(
        "values-names-with-digits-or-emoji-refused",
        csv_file(
            "badnames.csv",
            table(row(1, nomNaissance="Mart1n"), row(2, prenom1="Hugo 🎓"), row(3)),
        ),
        1,
        valid=1,
        rejected=rows_of((2, "nomNaissance"), (3, "prenom1")),
        says=("a name cannot contain digits",),
    ),
    Case(
        "values-civilites-give-sexe-cp1252",
        csv_file(
            "civilites.csv",
            table(
                row(1, sexe="Mme"),
                row(2, sexe="M."),
                row(3, sexe="Madame"),
                row(4, sexe="Monsieur"),
            ),
            encoding="cp1252",
        ),
        0,
        valid=4,
    ),
    Case(
        "values-certification-code-spaces-and-bare-with-type",
        csv_file(
            "codes.csv",
            table(row(1, code="RNCP 34 567"), row(2, code="34567"), row(3, type="RS", code="1710")),
        ),
        0,
        valid=3,
    ),
    Case(
        "values-bare-code-without-type-blames-code",
        csv_file(
            "notype.csv",
            table(row(1, code="34567"), row(2), headers=[h for h in HEADERS if h != "type"]),
        ),
        1,
        valid=1,
        rejected=rows_of((2, "code")),
        says=("a France compétences code starts with RNCP or RS",),
    ),
    Case(
        "plausibility-future-certification",
        csv_file(
            "future.csv",
            table(row(1), row(2, dateDebutValidite=_dmy(TODAY + dt.timedelta(days=10)))),
        ),
        1,
        valid=1,
        rejected=rows_of((3, "dateDebutValidite")),
        says=("in the future (today is",),
    ),
    Case(
        "plausibility-birth-and-age",
        csv_file(
            "births.csv",
            table(
                row(1, anneeNaissance=TODAY.year - 10),
                row(2, anneeNaissance=TODAY.year + 1, moisNaissance="", jourNaissance=""),
                row(3),
            ),
        ),
        1,
        valid=1,
        rejected=rows_of((2, "anneeNaissance"), (3, "anneeNaissance")),
        says=("the holder would be",),
    ),
    Case(
        "plausibility-exam-after-certification",
        csv_file("exam.csv", table(row(1, dateFinExamen=_dmy(CERTIFIED + dt.timedelta(days=1))))),
        1,
        rejected=rows_of((2, "dateFinExamen")),
        says=("the exam comes before the certificate",),
    ),
    Case(
        "plausibility-same-holder-two-ids",
        csv_file("twice.csv", table(row(1), row(2), row(1, idTechnique="2024-9999"))),
        1,
        valid=2,
        rejected=rows_of((4, "idTechnique")),
        says=("the same holder and certification are on row 2 under another idTechnique",),
    ),
    Case(
        "plausibility-warnings-postal-as-insee-and-vae",
        csv_file(
            "warn.csv",
            table(
                row(1, codeInsee="75015", libelleCommuneNaissance="Paris"),
                row(2, voieAccessVAE="VAE_CLASSIQUE"),
                row(3, codeInsee="06000", libelleCommuneNaissance="Nice"),
            ),
        ),
        0,
        valid=3,
        warnings=rows_of((2, "codeInsee"), (3, "voieAccessVAE"), (4, "codeInsee")),
    ),
    Case(
        "plausibility-late-declaration-warns",
        csv_file(
            "late.csv",
            table(
                row(1, dateDebutValidite=_dmy(_LATE), dateDebutExamen="", dateFinExamen=""), row(2)
            ),
        ),
        0,
        valid=2,
        warnings=rows_of((2, "dateDebutValidite")),
        says=("late declaration: the 3-month deadline",),
    ),
    Case(
        "messages-totals-row-one-message",
        csv_file(
            "totals.csv",
            table(row(1), row(2), {"nomNaissance": "Total : 2 candidats", "anneeNaissance": 2}),
        ),
        1,
        valid=2,
        rejected=rows_of((4, "row")),
        says=("looks like a totals row",),
    ),
    Case(
        "messages-formula-without-value",
        csv_file("formula.csv", table(row(1), row(2, dateDebutValidite="=DATE(2024;6;28)"))),
        1,
        valid=1,
        rejected=rows_of((3, "row")),
        says=("a formula without its value",),
    ),
]
