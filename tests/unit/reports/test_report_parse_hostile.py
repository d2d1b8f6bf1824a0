"""Hostile or wrong input is refused with a clear ReportRefused, before anything expands."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders.cdc.reports import MAX_DEPTH, ReportRefused, parse_report
from builders.errors import BuildError

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rapport [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rapport><nomFichier>&lol9;</nomFichier></rapport>
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real local TCP listener that records whether anyone connected."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    yield server
    server.close()


def _refused(source: Path | bytes, **kwargs: int) -> str:
    with pytest.raises(ReportRefused) as info:
        parse_report(source, **kwargs)
    return str(info.value)


def test_report_refused_is_a_domain_error() -> None:
    """ReportRefused sits under BuildError, a domain error the CLI prints cleanly."""
    assert issubclass(ReportRefused, BuildError)


def test_parse_report_refuses_billion_laughs() -> None:
    """Nested entity definitions are refused at the DOCTYPE, never expanded."""
    message = _refused(BILLION_LAUGHS)
    assert "DOCTYPE" in message
    assert "lollol" not in message


def test_parse_report_refuses_external_entity(tmp_path: Path) -> None:
    """An external entity pointing at a local file is refused and the file never leaks."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42", encoding="utf-8")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rapport [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        "<rapport><nomFichier>&xxe;</nomFichier></rapport>\n",
        encoding="utf-8",
    )
    message = _refused(path)
    assert str(path) in message
    assert "DOCTYPE" in message
    assert "TOPSECRET" not in message


def test_parse_report_never_fetches_external_dtd(listener: socket.socket) -> None:
    """A DOCTYPE naming a remote DTD is refused without any network connection."""
    port = listener.getsockname()[1]
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rapport SYSTEM "http://127.0.0.1:{port}/r.dtd">\n'
        "<rapport><nomFichier>x</nomFichier></rapport>"
    ).encode()
    assert "DOCTYPE" in _refused(data)
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_parse_report_refuses_plain_doctype() -> None:
    """Even a harmless-looking DOCTYPE is refused: a report never has one."""
    assert "DOCTYPE" in _refused(b"<!DOCTYPE rapport><rapport/>")


def test_parse_report_refuses_undefined_entity() -> None:
    """An entity reference without a definition is not well-formed, hence refused."""
    message = _refused(b"<rapport><nomFichier>&xxe;</nomFichier></rapport>")
    assert "not well-formed XML (line 1" in message


def test_parse_report_refuses_oversized(shared_cdc: Path) -> None:
    """Input above max_bytes is refused unread, as a file or as bytes."""
    path = shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml"
    message = _refused(path, max_bytes=100)
    assert "over the 100-byte limit" in message
    assert str(path) in message
    assert "over the 100-byte limit" in _refused(path.read_bytes(), max_bytes=100)
    assert parse_report(path, max_bytes=path.stat().st_size).id_traitement == "67598"


def test_parse_report_refuses_deep_nesting() -> None:
    """Nesting beyond MAX_DEPTH is refused (a report is 4 levels deep)."""
    depth = MAX_DEPTH + 1
    data = ("<rapport>" + "<a>" * depth + "</a>" * depth + "</rapport>").encode()
    assert f"deeper than {MAX_DEPTH}" in _refused(data)
    huge = 100_000
    data = ("<rapport>" + "<a>" * huge + "</a>" * huge + "</rapport>").encode()
    _refused(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty file"),
        (b"Nom;Prenom\nDupont;Jean\n", "not an XML document"),
        (b"   \n\n", "not well-formed XML"),
        (b"\x00\xff\xfe\x89PNG\r\n", "not an XML document"),
        (b"<rapport><nomFichier>x</rapport>", "not well-formed XML (line 1"),
        (b"<html><body>Maintenance</body></html>", "root element is <html>, not <rapport>"),
    ],
)
def test_parse_report_refuses_non_reports(data: bytes, expected: str) -> None:
    """Empty files, CSV, binary, truncated XML and HTML pages are refused, saying why."""
    assert expected in _refused(data)


def test_parse_report_refuses_deposit_file(shared_cdc: Path) -> None:
    """A deposit flux (the wrong file) is refused: its root is not rapport."""
    message = _refused(shared_cdc / "cdc-example-1.1.5-CREATION.xml")
    assert "root element is <flux>, not <rapport>" in message


@pytest.mark.parametrize(
    "body",
    [
        "<PassagesOK><idTechnique>1</idTechnique>\n<idTechnique> </idTechnique></PassagesOK>",
        "<PassagesKO>\n<passage><messageErreur>Plusieurs titulaires</messageErreur></passage>"
        "</PassagesKO>",
    ],
)
def test_parse_report_refuses_passage_without_id(body: str) -> None:
    """A passage without idTechnique cannot be reconciled: refused, naming the line."""
    message = _refused(f"<rapport>\n{body}\n</rapport>".encode())
    assert "line 3" in message
    assert "without an idTechnique" in message


def test_parse_report_refuses_missing_file_and_directory(tmp_path: Path) -> None:
    """A missing path or a directory is refused with the path and the reason."""
    missing = tmp_path / "nope.xml"
    message = _refused(missing)
    assert str(missing) in message
    assert "No such file" in message
    assert "cannot read the report" in _refused(tmp_path)
