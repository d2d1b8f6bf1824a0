"""Parser options for XML the project did not write (hand-made flux files, deposits).

Entities are never expanded (no billion laughs, no external entity reading local files),
no DTD is loaded and nothing is fetched from the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, TypedDict

from lxml import etree


class SafeParsing(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool


SAFE_PARSING: Final[SafeParsing] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
}


def doctype_line(path: Path) -> int | None:
    """1 when a DOCTYPE declaration precedes the root element, else None.

    Reads only up to the root element's start tag. A CDC flux has no DOCTYPE; one in a
    hand-made file is refused rather than half-parsed with its entities left unexpanded.

    Raises:
        etree.XMLSyntaxError: the prolog is not well-formed.
    """
    for _, element in etree.iterparse(str(path), events=("start",), **SAFE_PARSING):
        docinfo = element.getroottree().docinfo
        return 1 if docinfo.doctype or docinfo.internalDTD is not None else None
    return None
