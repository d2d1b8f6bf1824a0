"""Lint any flux file (hand-made ones included): syntax, imported XSD, built-in rules.

``check_flux(path, xsd=...)`` returns findings sorted by line; a file is clean when no finding
is an error (warnings point at data the CDC accepts but that is probably a mistake).
Three sources, each finding saying which: ``syntax`` (not well-formed: the first error with
line and column, nothing else can be checked), ``xsd`` (every error the imported XSD reports,
with its line) and ``rules`` (each passage re-validated through ``builders.cdc.models``; the
finding names the CDC field and the line of its element). ``idTechnique`` must also be unique
within the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from builders.cdc.fluxread import FluxPassage, iter_flux
from builders.cdc.models import PassageRecord
from builders.cdc.rules import vae_route_unexpected
from builders.cdc.xmlsafety import SAFE_PARSING, doctype_line
from builders.cdc.xsd import xsd_errors


@dataclass(frozen=True)
class Finding:
    """One problem found in a flux file."""

    line: int
    column: int
    source: str  # "syntax", "xsd" or "rules"
    field: str
    message: str
    value: str = ""
    severity: str = "error"  # "error" (the CDC would refuse it) or "warning"

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        value = f" (value {self.value!r})" if self.value else ""
        kind = "" if self.is_error else " warning"
        return f"line {self.line}: [{self.source}{kind}] {field}{self.message}{value}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _rule_findings(passages: list[FluxPassage] | Any, *, suppression: bool) -> list[Finding]:
    findings: list[Finding] = []
    reported_scopes: set[tuple[str, str, str]] = set()
    seen: dict[str, int] = {}
    for passage in passages:
        for problem in passage.problems:
            if problem.scope != "passage":
                key = (problem.scope, problem.field, problem.message)
                if key in reported_scopes:
                    continue
                reported_scopes.add(key)
            findings.append(
                Finding(
                    problem.line,
                    0,
                    "rules",
                    problem.field,
                    problem.message,
                    problem.value,
                    problem.severity,
                )
            )
        findings += _warnings(passage)
        if passage.id_technique is not None:
            first = seen.setdefault(passage.id_technique, passage.line)
            if first != passage.line:
                findings.append(
                    Finding(
                        passage.line,
                        0,
                        "rules",
                        "idTechnique",
                        f"idTechnique already used at line {first} (unique per emitter)",
                        passage.id_technique,
                        # The XSD accepts it; deleting twice only gets a KO for the second.
                        "warning" if suppression else "error",
                    )
                )
    return findings


def _warnings(passage: FluxPassage) -> list[Finding]:
    """Findings the CDC accepts but an operator should look at."""
    record = passage.record
    if not isinstance(record, PassageRecord):
        return []
    inscription = record.passage.modalitesInscription
    message = vae_route_unexpected(inscription.modaliteAcces, inscription.voieAccessVAE)
    if message is None:
        return []
    value = str(inscription.voieAccessVAE)
    return [Finding(passage.line, 0, "rules", "voieAccessVAE", message, value, "warning")]


def has_action(path: Path) -> bool:
    """Whether the flux declares ``cpf:action`` (schema 1.1.5 only); reads just the header."""
    try:
        for _, element in etree.iterparse(str(path), events=("start",), **SAFE_PARSING):
            name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
            if name == "action":
                return True
            if name in ("emetteur", "passageCertification"):
                return False
    except etree.XMLSyntaxError:
        return False
    return False


def check_flux(path: Path, *, xsd: Path | None) -> list[Finding]:
    """Every finding for the flux at ``path``, sorted by line.

    Raises:
        OSError: the file cannot be read.
        BuildError: ``xsd`` is not a usable schema.
    """
    try:
        if doctype_line(path) is not None:
            message = "a DOCTYPE declaration is not allowed in a CDC flux (entities are not read)"
            return [Finding(1, 0, "syntax", "", message)]
        header, passages = iter_flux(path)
        rules = _rule_findings(passages, suppression=header.is_suppression)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        return [Finding(line, column, "syntax", "", f"not well-formed XML: {exc.msg}")]
    findings: list[Finding] = []
    if header.id_flux is None and header.id_client_emetteur is None:
        findings.append(
            Finding(header.line, 0, "rules", "flux", "the root element is not a cpf:flux")
        )
    if xsd is not None:
        findings += [
            Finding(e.line, e.column, "syntax" if e.syntax else "xsd", "", e.message)
            for e in xsd_errors(path, xsd)
        ]
    findings += rules
    return sorted(findings, key=lambda f: (f.line, f.source))
