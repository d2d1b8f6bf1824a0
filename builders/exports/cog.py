"""INSEE's official geographic code (COG): which commune codes existed when, and their names.

``accrochage cog import FILE`` takes the CSV INSEE publishes as "Communes depuis 1943"
(``v_commune_depuis_1943.csv``: columns ``COM``, ``TNCC``, ``NCC``, ``NCCENR``, ``LIBELLE``,
``DATE_DEBUT``, ``DATE_FIN``; dates ``YYYY-MM-DD``, an empty ``DATE_DEBUT`` meaning "already in
1943", an empty ``DATE_FIN`` "still exists"), checks its header and keeps a copy under
``<data_dir>/cog/communes.csv``. From then on every import checks a birth commune's
``codeInsee``:

- error: the code is in no period of the file (not a commune code), or none of its periods
  covers the birth date (at its precision: a birth year is enough if the commune existed for
  part of that year);
- warning: ``libelleCommuneNaissance`` is not the commune's name in any of its periods
  (compared without case, accents and punctuation; ``Lyon`` matches ``Lyon 3e
  Arrondissement``).

Without an imported file nothing is checked. Codes of births abroad (``99xxx``) are not
communes and are left alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from builders.errors import BuildError
from builders.exports.normalize import fold
from builders.files import ensure_private_dir, write_private

_COLUMNS: Final = ("COM", "LIBELLE", "DATE_DEBUT", "DATE_FIN")
_BEGINNING: Final = dt.date(1900, 1, 1)
_FOREVER: Final = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Period:
    """One name of one commune code, from ``start`` to ``end`` (both included)."""

    start: dt.date
    end: dt.date
    name: str
    folded: tuple[str, ...]


@dataclass(frozen=True)
class CogImport:
    """What ``import_cog`` kept."""

    path: Path
    periods: int
    codes: int


def cog_path(data_dir: Path) -> Path:
    """Where the imported COG file is kept."""
    return data_dir / "cog" / "communes.csv"


def _date(text: str, default: dt.date, where: str) -> dt.date:
    text = text.strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BuildError(f"{where}: expected a date YYYY-MM-DD, got {text!r}") from None


def _read(text: str, source: str) -> dict[str, list[Period]]:
    first = text.split("\n", 1)[0]
    reader = csv.DictReader(
        io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ","
    )
    fields = {name.strip().upper(): name for name in reader.fieldnames or ()}
    missing = [name for name in _COLUMNS if name not in fields]
    if missing:
        raise BuildError(
            f"{source}: not INSEE's 'communes depuis 1943' file (no column "
            f"{', '.join(missing)}; expected COM, TNCC, NCC, NCCENR, LIBELLE, DATE_DEBUT, DATE_FIN)"
        )
    communes: dict[str, list[Period]] = {}
    for number, row in enumerate(reader, start=2):
        where = f"{source}:{number}"
        code = (row[fields["COM"]] or "").strip().upper()
        if not code:
            continue
        names = [row[fields["LIBELLE"]] or ""]
        names += [row[fields[extra]] or "" for extra in ("NCC", "NCCENR") if extra in fields]
        period = Period(
            _date(row[fields["DATE_DEBUT"]] or "", _BEGINNING, where),
            _date(row[fields["DATE_FIN"]] or "", _FOREVER, where),
            names[0].strip(),
            tuple(dict.fromkeys(fold(name) for name in names if name.strip())),
        )
        communes.setdefault(code, []).append(period)
    if not communes:
        raise BuildError(f"{source}: the file holds no commune")
    return communes


def import_cog(source: Path, data_dir: Path) -> CogImport:
    """Check INSEE's CSV and keep a copy for the imports.

    Raises:
        BuildError: not the expected file.
        OSError: it cannot be read or the copy written.
    """
    data = source.read_bytes()
    text = data.decode("utf-8-sig")
    communes = _read(text, str(source))
    target = cog_path(data_dir)
    ensure_private_dir(target.parent)
    write_private([text.encode("utf-8")], target)
    return CogImport(target, sum(len(p) for p in communes.values()), len(communes))


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: float) -> dict[str, list[Period]]:
    return _read(path.read_text(encoding="utf-8"), str(path))


class Communes:
    """The imported COG, asked about one birth commune at a time."""

    def __init__(self, periods: dict[str, list[Period]]) -> None:
        """Wrap the periods of each code (see ``load``)."""
        self._periods = periods

    @classmethod
    def load(cls, data_dir: Path | None) -> Communes | None:
        """The COG imported under ``data_dir``, or None when none was imported."""
        if data_dir is None:
            return None
        path = cog_path(data_dir)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        return cls(_load(path, mtime))

    def check(
        self, code: str, born: tuple[dt.date, dt.date], label: str | None
    ) -> tuple[str | None, str | None]:
        """(error, warning) about a birth commune code, each None when fine.

        Args:
            code: the codeInsee.
            born: the earliest and latest days the birth date allows.
            label: libelleCommuneNaissance, if given.
        """
        periods = self._periods.get(code)
        if periods is None:
            return "not a commune code in INSEE's geographic code (COG) imported", None
        earliest, latest = born
        current = [p for p in periods if p.start <= latest and earliest <= p.end]
        if not current:
            spans = "; ".join(_span(p) for p in periods)
            return f"this commune code did not exist at the birth date ({spans})", None
        if label and not any(_same_name(label, p) for p in periods):
            names = " / ".join(dict.fromkeys(p.name for p in current))
            return None, f"the commune {code} is {names}, not {label!r}: check the code or the name"
        return None, None


def _span(period: Period) -> str:
    start = "before 1943" if period.start == _BEGINNING else f"from {period.start:%d/%m/%Y}"
    end = "" if period.end == _FOREVER else f" to {period.end:%d/%m/%Y}"
    return f"{period.name}: {start}{end}"


def _same_name(label: str, period: Period) -> bool:
    wanted = fold(label)
    return any(
        wanted == name
        or (name.startswith(wanted + "_") and name[len(wanted) + 1 : len(wanted) + 2].isdigit())
        for name in period.folded
    )
