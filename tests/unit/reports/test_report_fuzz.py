"""Fuzzing the report parser: whatever the bytes, only ReportRefused escapes (issue 11).

Reports come from the portal, which the agent does not control. The inputs are report-shaped
documents built from the report's own vocabulary (any nesting, counts, texts, attributes,
namespaces, comments, DOCTYPEs, entities, encodings), then damaged (cut, bytes replaced or
inserted). Every parse must return a report or raise ``ReportRefused``, check against a batch
without error, and stay under a fixed memory peak.
"""

from __future__ import annotations

import tracemalloc
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.report_check import report_problems
from builders.cdc.reports import ProcessingReport, ReportRefused, parse_report

NAMES = (
    "rapport",
    "nomFichier",
    "idFlux",
    "idTraitement",
    "idDemande",
    "PassagesKO",
    "PassagesOK",
    "passage",
    "idTechnique",
    "messageErreur",
    "erreurs",
    "erreur",
    "type",
    "message",
    "ligne",
    "colonne",
    "NOMFICHIER",
    "ns2:rapport",
    "x",
)
MEMORY_CAP = 20 * 1024 * 1024  # bytes of Python allocations, far above any input here

texts = st.text(max_size=40).map(escape) | st.sampled_from(
    ["", " 12 ", "²", "-1", "١٢", "&amp;", "&lol;", "<![CDATA[<x>]]>", "\u0000", "\ud7ff"]
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda name, attrs, body, tail: f"<{name}{attrs}>{body}</{name}>{tail}",
        st.sampled_from(NAMES),
        st.sampled_from(["", ' a="1"', ' xmlns="urn:x"', ' xmlns:ns2="urn:cdc:cpf:pc5:rapport"']),
        st.lists(children, max_size=4).map("".join) | texts,
        st.sampled_from(["", "\n", "<!-- c -->", "<?pi x?>", "&#x41;"]),
    )


elements = st.recursive(texts, _element, max_leaves=30)
prologs = st.sampled_from(
    [
        "",
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        '<?xml version="1.0" encoding="x-unknown"?>',
        "\ufeff",
        '<!DOCTYPE rapport [<!ENTITY lol "lol">]>',
        '<!DOCTYPE rapport SYSTEM "http://127.0.0.1:9/x.dtd">',
    ]
)
documents = st.builds(
    lambda prolog, body: (prolog + body).encode(),
    prologs,
    elements.map(lambda inner: f"<rapport>{inner}</rapport>") | elements,
)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(documents))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(data)))
        change = draw(st.sampled_from(["cut", "replace", "insert"]))
        junk = draw(st.binary(min_size=1, max_size=4))
        if change == "cut":
            del data[where:]
        elif change == "replace":
            data[where : where + len(junk)] = junk
        else:
            data[where:where] = junk
    return bytes(data)


def _parse(data: bytes) -> ProcessingReport | None:
    try:
        return parse_report(data)
    except ReportRefused as refused:
        assert refused.message.startswith("report: ")
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents, damaged(), st.binary(max_size=200)))
def test_report_fuzz_only_report_refused_escapes(data: bytes) -> None:
    """Any bytes: a report or ReportRefused, a usable check, and a bounded memory peak."""
    tracemalloc.start()
    try:
        report = _parse(data)
        if report is not None:
            assert isinstance(
                report_problems(report, file_name="f.xml", id_flux="i", held={"1"}), list
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CAP


def test_report_fuzz_found_superscript_line_number() -> None:
    """A line number written with a digit int() refuses (found by the fuzz test) is unknown."""
    report = parse_report(
        "<rapport><nomFichier>f.xml</nomFichier><erreurs><erreur><type>XSD</type>"
        "<ligne>²</ligne><colonne>١٢</colonne></erreur></erreurs></rapport>".encode()
    )
    [error] = report.errors
    assert (error.line, error.column) == (None, 12)
