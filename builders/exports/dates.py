"""Dates as spreadsheets write them.

Accepted (day first whenever the day and the month are both written):

- ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY`` (one or two digits for day and month), with
  an optional time after it (``28/06/2024 10:30``: Excel's text of a date-time cell);
- ``YYYY-MM-DD`` and ``YYYY/MM/DD``, with an optional time (``2024-06-28 10:30:00``, ISO
  ``2024-06-28T10:30:00+02:00``): the date is the written calendar day, the time and any offset
  are ignored;
- an Excel serial number (``45471``, ``45471.5`` with a time), as a date cell reaches a CSV
  when its column is formatted as a number: 5 digits, counted in Excel's 1900 system;
- a 2-digit year (``28/06/24``) for the dates of a certification, an exam or an inscription
  only: those events are after 2000, so ``24`` is 2024 with certainty. A birth date with a
  2-digit year is refused (1924 or 2024?).

Every date is a real calendar date in 1900-2099 (the XSD's date pattern). An impossible date
gets one message saying which part is wrong.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Final

from builders.exports.cellerror import CellError

_TIME: Final = (
    r"(?:[T ]\s*[0-9]{1,2}[:h][0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    r"\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_DMY: Final = re.compile(rf"([0-9]{{1,2}})([/.\-])([0-9]{{1,2}})\2([0-9]{{4}}|[0-9]{{2}}){_TIME}")
_YMD: Final = re.compile(rf"([0-9]{{4}})([/\-])([0-9]{{1,2}})\2([0-9]{{1,2}}){_TIME}")
_SERIAL: Final = re.compile(r"([0-9]{5})(?:[.,][0-9]+)?")
#: Day 0 of Excel's 1900 date system (serial 1 is 1900-01-01; Excel counts a 29/02/1900 that
#: never was, so from serial 61 on, 1899-12-30 + serial is the day Excel shows).
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
_MIN_YEAR, _MAX_YEAR = 1900, 2099
DATE_EXPECTED: Final = (
    "expected a date as DD/MM/YYYY (or DD-MM-YYYY, DD.MM.YYYY, YYYY-MM-DD, YYYY/MM/DD)"
)
_MONTHS: Final = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def real_date(year: int, month: int, day: int, *, day_first: bool = False) -> dt.date:
    """The date, or one ``CellError`` naming the part that is wrong."""
    if _MIN_YEAR <= year <= _MAX_YEAR:
        try:
            return dt.date(year, month, day)  # the usual case, without a look at the parts
        except ValueError:
            pass
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise CellError(f"the year {year} is outside 1900-2099")
    if not 1 <= month <= 12:
        hint = ": dates are read day first (DD/MM/YYYY)" if day_first else ""
        raise CellError(f"there is no month {month}{hint}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise CellError(f"not a real calendar date ({_MONTHS[month]} {year} has {last} days)")
    return dt.date(year, month, day)


def excel_serial(serial: int) -> dt.date:
    """The day an Excel serial number (1900 system, from 61 = 01/03/1900 on) shows."""
    return _EXCEL_EPOCH + dt.timedelta(days=serial)


def parse_date(raw: str, *, two_digit_year: bool = True) -> dt.date:
    """A date in one of the module's forms.

    Args:
        raw: the trimmed cell.
        two_digit_year: read ``YY`` as ``20YY`` (dates of events after 2000); when False a
            2-digit year is refused.

    Raises:
        CellError: not a date, or not a real one.
    """
    match = _DMY.fullmatch(raw)
    if match is not None:
        day, _, month, year = match.groups()
        if len(year) == 2:
            if not two_digit_year:
                recent = f" or 20{year}" if 2000 + int(year) <= dt.date.today().year else ""  # noqa: DTZ011 - a hint only
                raise CellError(f"write the year with 4 digits (19{year}{recent}?)")
            year = "20" + year
        return real_date(int(year), int(month), int(day), day_first=True)
    match = _YMD.fullmatch(raw)
    if match is not None:
        year, _, month, day = match.groups()
        return real_date(int(year), int(month), int(day))
    match = _SERIAL.fullmatch(raw)
    if match is not None:
        date = excel_serial(int(match.group(1)))
        if date.year > _MAX_YEAR:
            raise CellError("read as an Excel date number, it is after 2099")
        return date
    raise CellError(DATE_EXPECTED)


_PARTIAL_DATE: Final = (
    re.compile(r"(?P<y>[0-9]{4})(?:[.,]0+)?"),
    re.compile(r"(?P<m>[0-9]{1,2})[/.\-](?P<y>[0-9]{4})"),
    re.compile(r"(?P<y>[0-9]{4})[-/](?P<m>[0-9]{1,2})"),
)
BIRTH_EXPECTED: Final = "expected a birth date as DD/MM/YYYY, YYYY-MM-DD, MM/YYYY or YYYY"


def parse_birth_date(raw: str) -> tuple[int, int | None, int | None]:
    """A birth date, possibly partial: a full date as ``parse_date``, ``MM/YYYY`` or ``YYYY``.

    Returns:
        (year, month or None, day or None).

    Raises:
        CellError: not a birth date, or not a real one.
    """
    for pattern in _PARTIAL_DATE:
        match = pattern.fullmatch(raw)
        if match is not None:
            year, month = int(match["y"]), match.groupdict().get("m")
            if not _MIN_YEAR <= year <= _MAX_YEAR:
                raise CellError(f"the year {year} is outside 1900-2099")
            if month is not None and not 1 <= int(month) <= 12:
                raise CellError(f"there is no month {int(month)} (expected MM/YYYY)")
            return year, None if month is None else int(month), None
    try:
        date = parse_date(raw, two_digit_year=False)
    except CellError as exc:
        if str(exc) == DATE_EXPECTED:
            raise CellError(BIRTH_EXPECTED) from None
        raise
    return date.year, date.month, date.day


def cell_date(date: dt.date) -> str:
    """A date as the project writes it in the CSV files it hands to people (DD/MM/YYYY)."""
    return f"{date.day:02d}/{date.month:02d}/{date.year:04d}"
