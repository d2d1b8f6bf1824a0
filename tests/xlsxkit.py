"""Hand-made XLSX archives for hostile-input tests: every part is plain bytes a test can break.

``export_parts(ids)`` gives the parts of a valid export (every canonical column, one valid row
per idTechnique, text in the shared-strings table as Excel writes it); ``write_xlsx`` zips
parts into a file. Tests replace or mutate one part to build a malformed workbook.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from builders.exports.columns import CANONICAL
from tests.agent.helpers import row

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _fixed_parts() -> dict[str, str]:
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/{SHEET}" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/{STRINGS}" ContentType="{_CT}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            '<sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_RELS}">'
            f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOC_RELS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ),
    }


def sheet_parts(rows: Sequence[Sequence[str]]) -> dict[str, bytes]:
    """The parts of a one-sheet workbook holding ``rows``, every text cell a shared string."""
    strings: dict[str, int] = {}
    xml_rows = []
    for number, cells in enumerate(rows, start=1):
        xml_cells = []
        for column, text in enumerate(cells, start=1):
            if text == "":
                continue
            index = strings.setdefault(text, len(strings))
            ref = f"{get_column_letter(column)}{number}"
            xml_cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        xml_rows.append(f'<row r="{number}">{"".join(xml_cells)}</row>')
    table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    parts = {
        **_fixed_parts(),
        SHEET: f'<worksheet xmlns="{_MAIN}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>',
        STRINGS: f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        f"{table}</sst>",
    }
    return {name: (_DECL + text).encode() for name, text in parts.items()}


def export_parts(ids: Sequence[str]) -> dict[str, bytes]:
    """A valid export: the canonical header and one valid row per idTechnique."""
    data = [[row(id_technique).get(k, "") for k in CANONICAL] for id_technique in ids]
    return sheet_parts([list(CANONICAL), *data])


def write_xlsx(path: Path, parts: Mapping[str, bytes]) -> Path:
    """Zip ``parts`` (deflated) into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def write_bomb(path: Path, strings_bytes: int) -> Path:
    """A valid export whose shared-strings part expands to about ``strings_bytes`` bytes.

    The padding is one-letter shared strings (a few hundred bytes each once compressed per
    megabyte), written in chunks so that the test itself stays small in memory.
    """
    parts = export_parts(["B1"])
    head, tail = parts[STRINGS].split(b"</sst>")
    chunk = b"<si><t>a</t></si>" * (1 << 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name != STRINGS:
                archive.writestr(name, data)
        with archive.open(STRINGS, "w", force_zip64=True) as handle:
            handle.write(head)
            for _ in range(strings_bytes // len(chunk)):
                handle.write(chunk)
            handle.write(b"</sst>" + tail)
    return path
