"""Proof that a schema version is one registry entry plus rows in the field table.

A child process registers a made-up version 9.9.9 (with ``cpf:action``) that adds one optional
field, ``numeroBadge``, placed after ``libelleOption``, before importing anything that derives
from the table. It then uses the ordinary code paths, unchanged: the template, the import and
its models, the renderer (through ``build``), the flux reader and ``check``. A child process,
because the table is read once, at import: the test's own process keeps the real table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]

_CHILD = r"""
import json, sys
from pathlib import Path
from typing import Annotated

from pydantic import StringConstraints

from builders.cdc import fields, versions

versions.VERSIONS["9.9.9"] = versions.VersionSpec(
    "9.9.9", has_action=True, branch_order=versions.VERSIONS["1.1.5"].branch_order
)
place = next(i for i, row in enumerate(fields.FIELDS) if row.name == "libelleOption") + 1
fields.FIELDS.insert(
    place,
    fields.CdcField(
        "numeroBadge",
        "passage",
        since="9.9.9",
        type_=Annotated[str, StringConstraints(min_length=1, max_length=20)],
    ),
)

from builders.cdc.check import check_flux
from builders.cdc.fluxread import iter_flux
from builders.exports.template import write_template
from builders.flux.build import build
from builders.settings import BuildSettings, Declarant

work = Path(sys.argv[1])
write_template(work / "modele.csv")
header, example = (work / "modele.csv").read_text("utf-8-sig").splitlines()[:2]
names = header.split(";")
cells = example.split(";")
cells[names.index("numeroBadge")] = "B-42"
(work / "export.csv").write_text(f"{header}\n{';'.join(cells)}\n", encoding="utf-8")
out = {"template": names}
for version in ("9.9.9", "1.1.5"):
    result = build(
        [work / "export.csv"],
        work / version,
        settings=BuildSettings(schema_version=version),
        declarant=Declarant(),
        data_dir=work / "data",
    )
    found = {"errors": [[e.field, e.message] for e in result.errors], "files": len(result.files)}
    if result.files:
        path = result.files[0].path
        xml = path.read_text(encoding="utf-8")
        passage = next(iter_flux(path)[1])
        found["xml"] = xml
        found["read"] = passage.record.passage.numeroBadge if passage.record else None
        found["check"] = [str(f) for f in check_flux(path, xsd=None)]
        bad = work / "bad.xml"
        bad.write_text(xml.replace("B-42", "B" * 21), encoding="utf-8")
        found["check_bad"] = [[f.field, f.severity, f.line] for f in check_flux(bad, xsd=None)]
    out[version] = found
print(json.dumps(out))
"""


def _run_child(tmp_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_new_version_and_field_reach_every_derived_part(tmp_path: Path) -> None:
    """Template, import/models, render, flux reader and check follow the two table edits."""
    out = _run_child(tmp_path)
    names = out["template"]
    assert names[names.index("libelleOption") + 1] == "numeroBadge"  # the column, in place

    new = out["9.9.9"]
    assert new["errors"] == [] and new["files"] == 1
    xml = new["xml"]
    assert "<cpf:action>CREATION</cpf:action>" in xml  # the registry entry has cpf:action
    badge = "\t" * 8 + "<cpf:numeroBadge>B-42</cpf:numeroBadge>\n"
    assert badge in xml
    # rendered in table (XSD) order: the example row has no urlPreuve nor libelleOption
    assert f"</cpf:idTechnique>\n{badge}" + "\t" * 8 + "<cpf:obtentionCertification>" in xml
    assert new["read"] == "B-42"  # the flux reader and the models read it back
    assert new["check"] == []  # check finds nothing wrong with the file
    bad_line = xml[: xml.index(badge)].count("\n") + 1
    assert new["check_bad"] == [["numeroBadge", "error", bad_line]]  # its facet is checked

    old = out["1.1.5"]  # the same export under a version without the field: refused, named
    assert old["files"] == 0
    assert old["errors"] == [
        ["numeroBadge", "numeroBadge exists only from schema 9.9.9 (the file targets 1.1.5)"]
    ]
