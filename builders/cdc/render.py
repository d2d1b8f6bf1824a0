"""Render validated records as CDC XML fragments (UTF-8 bytes), elements in XSD order.

Rendering is hand-written string building with explicit escaping: it is several times faster
than building lxml elements and keeps memory flat, because each passage becomes one small
``bytes`` fragment that the splitting writer copies to disk (see ``builders.flux.splitter``).

Nil rules: a ``None`` in a field of ``builders.cdc.models.NILLABLE_FIELDS`` is written
``xsi:nil="true"``; any other ``None`` is omitted. ``modalitesInscription`` is always written
(``modaliteAcces`` nil when unknown). Schema 1.1.2 has no ``identifiantNational`` branch:
rendering one for 1.1.2 raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from builders.cdc import fields
from builders.cdc.markup import escape
from builders.cdc.models import NILLABLE_FIELDS, IdentificationTitulaire, PassageCertification
from builders.cdc.versions import DEFAULT_VERSION, SchemaVersion, action_version

#: Indentation (tabs, as in the official 1.1.5 sample) of a passageCertification element.
PASSAGE_DEPTH = 7

#: How a field's value becomes text, per form, as a Python expression of ``v`` (``_emitter``).
#: The model enums are StrEnums: the member already is its (markup-free) value as a str.
_FORMATS: dict[str, str] = {
    "bool": '("true" if v else "false")',
    "date": "v.isoformat()",
    "enum": "v",
    "int": "str(v)",
}
_FORM_OF: dict[str, str] = {row.name: row.form for row in fields.FIELDS}
#: Appends the elements of some fields of a model, given its ``__dict__``, to a parts list.
Emitter = Callable[[list[str], dict[str, Any]], None]


def _emitter(depth: int, names: Sequence[str]) -> Emitter:
    """Straight-line code writing ``names`` in order at ``depth`` (compiled once, at import).

    Per field: ``<cpf:name>value</cpf:name>`` when set; when None, ``xsi:nil`` for a field of
    ``NILLABLE_FIELDS``, nothing otherwise. Free text goes through ``escape``. Generated code,
    because this runs for every field of every passage: a generic loop over field specs and
    formatter calls costs about twice as much.
    """
    pad = "\t" * depth
    lines = ["def emit(parts, fields):"]
    for name in names:
        form = _FORMATS.get(_FORM_OF[name], "escape(v)")
        open_tag, close_tag = f"{pad}<cpf:{name}>", f"</cpf:{name}>\n"
        lines += [
            f"    v = fields[{name!r}]",
            "    if v is not None:",
            f"        parts += ({open_tag!r}, {form}, {close_tag!r})",
        ]
        if name in NILLABLE_FIELDS:
            nil = f'{pad}<cpf:{name} xsi:nil="true"/>\n'
            lines += ["    else:", f"        parts.append({nil!r})"]
    namespace: dict[str, Any] = {"escape": escape}
    exec("\n".join(lines), namespace)  # noqa: S102 - code built above from constant names
    emit: Emitter = namespace["emit"]
    return emit


#: Writes one block's elements (from ``builders.cdc.fields``) of a model to a parts list.
Step = Callable[[list[str], Any, SchemaVersion], None]
#: Indentation beyond its depth of a branch, as the official 1.1.5 sample indents it.
_BRANCH_INDENT: dict[str, int] = {"identifiantNational": 1}


def _tags(depth: int, name: str) -> tuple[str, str]:
    """The opening and closing lines of element ``name`` at ``depth`` tabs."""
    pad = "\t" * depth
    return f"{pad}<cpf:{name}>\n", f"{pad}</cpf:{name}>\n"


def _steps(block: str, depth: int) -> tuple[Step, ...]:
    """The steps writing block ``block``'s elements at ``depth``, in table (XSD) order.

    Consecutive plain fields become one generated emitter; each structural row (a child
    block, a list, the holder branches, the birth commune choice) gets its own step.
    """
    steps: list[Step] = []
    run: list[str] = []
    for row in fields.block(block):
        if row.scalar and row.form != "commune":
            run.append(row.name)
            continue
        if run:
            steps.append(_plain(_emitter(depth, tuple(run))))
            run = []
        if row.form == "commune":
            if not any(step_name == "commune" for step_name in _names(steps)):
                steps.append(_named("commune", _commune(block, depth)))
        else:
            steps.append(_STRUCTURE[row.form](row.name, depth))
    if run:
        steps.append(_plain(_emitter(depth, tuple(run))))
    return tuple(steps)


def _names(steps: list[Step]) -> list[str]:
    return [getattr(step, "step_name", "") for step in steps]


def _named(name: str, step: Step) -> Step:
    step.step_name = name  # type: ignore[attr-defined]
    return step


def _plain(emit: Emitter) -> Step:
    def step(parts: list[str], model: Any, _version: SchemaVersion) -> None:
        emit(parts, model.__dict__)

    return step


def _write(parts: list[str], steps: tuple[Step, ...], model: Any, version: SchemaVersion) -> None:
    for step in steps:
        step(parts, model, version)


def _child_block(name: str, depth: int) -> Step:
    """A child element holding the block of the same name; left out when None."""
    open_tag, close_tag = _tags(depth, name)
    inner = _steps(name, depth + 1)

    def step(parts: list[str], model: Any, version: SchemaVersion) -> None:
        child = model.__dict__[name]
        if child is not None:
            parts.append(open_tag)
            _write(parts, inner, child, version)
            parts.append(close_tag)

    return step


def _list(name: str, depth: int) -> Step:
    """A list element (``resultats``) of items of the block named by its singular."""
    item = fields.item_block(name)
    open_tag, close_tag = _tags(depth, name)
    item_open, item_close = _tags(depth + 1, item)
    inner = _steps(item, depth + 2)

    def step(parts: list[str], model: Any, version: SchemaVersion) -> None:
        items = model.__dict__[name]
        if items:
            parts.append(open_tag)
            for entry in items:
                parts.append(item_open)
                _write(parts, inner, entry, version)
                parts.append(item_close)
            parts.append(close_tag)

    return step


def _branches(name: str, depth: int) -> Step:
    """The holder identification: exactly one branch, which must exist in the version."""
    open_tag, close_tag = _tags(depth, name)
    written = {}
    for branch in fields.BRANCHES:
        inner_depth = depth + 1 + _BRANCH_INDENT.get(branch, 0)
        written[branch] = (_tags(inner_depth, branch), _steps(branch, inner_depth + 1))

    exists: dict[tuple[str, SchemaVersion], bool] = {}  # the field table is fixed at import

    def step(parts: list[str], model: Any, version: SchemaVersion) -> None:
        ident = model.__dict__[name]
        chosen = ident.__dict__
        for branch, ((branch_open, branch_close), inner) in written.items():
            holder = chosen[branch]
            if holder is None:
                continue
            known = exists.get((branch, version))
            if known is None:
                known = exists[branch, version] = fields.branch_exists(branch, version)
            if not known:
                first = fields.added_in(branch)
                raise ValueError(f"{branch} requires schema {first} (not in {version})")
            parts += (open_tag, branch_open)
            _write(parts, inner, holder, version)
            parts += (branch_close, close_tag)
            return
        raise ValueError(f"{name} has no branch")

    return step


def _commune(block: str, depth: int) -> Step:
    """The birth commune choice: the first commune row with a value, else the last (nil)."""
    rows = [row.name for row in fields.block(block) if row.form == "commune"]
    open_tag, close_tag = _tags(depth, "codeCommuneNaissance")
    choices = [
        (name, _tags(depth + 1, f"{name}Naissance"), _emitter(depth + 2, (name,))) for name in rows
    ]

    def step(parts: list[str], model: Any, _version: SchemaVersion) -> None:
        values = model.__dict__
        parts.append(open_tag)
        for name, (wrap_open, wrap_close), emit in choices:
            if values[name] is not None or name == rows[-1]:
                parts.append(wrap_open)
                emit(parts, values)
                parts.append(wrap_close)
                break
        parts.append(close_tag)

    return step


_STRUCTURE: dict[str, Callable[[str, int], Step]] = {
    "block": _child_block,
    "list": _list,
    "branches": _branches,
}
_PASSAGE_OPEN, _PASSAGE_CLOSE = _tags(PASSAGE_DEPTH, "passageCertification")
_PASSAGE_STEPS = _steps("passage", PASSAGE_DEPTH + 1)
#: What a SUPPRESSION passage carries: idTechnique and the holder.
_SUPPRESSION_STEPS = (
    _plain(_emitter(PASSAGE_DEPTH + 1, ("idTechnique",))),
    _branches("identificationTitulaire", PASSAGE_DEPTH + 1),
)


def render_passage(passage: PassageCertification, version: SchemaVersion) -> bytes:
    """One ``passageCertification`` element (CREATION), indented, as UTF-8 bytes.

    Raises:
        ValueError: the record cannot be expressed in ``version`` (e.g. identifiantNational
            under 1.1.2).
    """
    parts = [_PASSAGE_OPEN]
    _write(parts, _PASSAGE_STEPS, passage, version)
    parts.append(_PASSAGE_CLOSE)
    return "".join(parts).encode("utf-8")


def render_suppression(id_technique: str, ident: IdentificationTitulaire) -> bytes:
    """One SUPPRESSION ``passageCertification``: ``idTechnique`` and the holder only."""
    version = action_version(DEFAULT_VERSION)
    values = _Suppression(id_technique, ident)
    parts = [_PASSAGE_OPEN]
    _write(parts, _SUPPRESSION_STEPS, values, version)
    parts.append(_PASSAGE_CLOSE)
    return "".join(parts).encode("utf-8")


class _Suppression:
    """The two values a SUPPRESSION passage writes, shaped like a model for the steps."""

    def __init__(self, id_technique: str, ident: IdentificationTitulaire) -> None:
        self.idTechnique = id_technique  # the CDC name
        self.identificationTitulaire = ident
