"""Compare XML documents by element structure (tags and nesting, repeated children once)."""

from __future__ import annotations

from typing import Any


def shape(element: Any) -> tuple[str, tuple[Any, ...]]:
    """The tag and, in order, the distinct shapes of its children."""
    children: list[Any] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        child_shape = shape(child)
        if child_shape not in children:
            children.append(child_shape)
    return (element.tag, tuple(children))
