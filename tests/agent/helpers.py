"""Helpers for the agent's workflow tests: exports, configs, reports, a FakePortal factory."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from agent.config import AgentSettings, Config
from agent.context import RunContext
from agent.deposit import RunOptions, RunSummary, run_deposit
from builders.cdc.messages import HOLDER_NOT_FOUND
from builders.exports.columns import CANONICAL
from builders.exports.template import EXAMPLE
from portal.base import Portal
from portal.fake import FakePortal
from tests.holders import holder_for


def row(id_technique: str, **overrides: str) -> dict[str, str]:
    """A valid export row (the template's example) with its own idTechnique."""
    return {
        **EXAMPLE,
        "idTechnique": id_technique,
        "prenom1": holder_for(id_technique),
        **overrides,
    }


def write_export(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    """Write rows as a ';' CSV with every canonical column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CANONICAL, delimiter=";")
        writer.writeheader()
        for item in rows:
            writer.writerow({k: item.get(k, "") for k in CANONICAL})
    return path


def make_config(tmp_path: Path) -> Config:
    """A config whose data directory and inbox are under tmp_path."""
    return Config(agent=AgentSettings(data_dir=tmp_path / "data", inbox_settle_s=0))


def inbox(config: Config) -> Path:
    """The inbox folder of a config (created)."""
    folder = config.agent.inbox
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_xml(
    file_name: str,
    ok: Iterable[str] = (),
    ko: Mapping[str, str] | None = None,
    *,
    id_flux: str | None = None,
) -> bytes:
    """An accusé de traitement in the documented shape (``idFlux`` only when given)."""
    kos = "".join(
        f"<passage><idTechnique>{i}</idTechnique><messageErreur>{m}</messageErreur></passage>"
        for i, m in (ko or {}).items()
    )
    oks = "".join(f"<idTechnique>{i}</idTechnique>" for i in ok)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">'
        f"<nomFichier>{file_name}</nomFichier>"
        + (f"<idFlux>{id_flux}</idFlux>" if id_flux is not None else "")
        + "<idTraitement>1</idTraitement>"
        f"<PassagesKO>{kos}</PassagesKO><PassagesOK>{oks}</PassagesOK></rapport>"
    ).encode()


def xsd_error_report(file_name: str) -> bytes:
    """A rejected-file report (XSD error shape)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rapport><nomFichier>'
        f"{file_name}</nomFichier><idTraitement>7</idTraitement><erreurs><erreur><type>XSD"
        "</type><message>cvc-elt.1.a : Déclaration de l'élément 'cpf:flux' introuvable."
        "</message><ligne>2</ligne><colonne>5</colonne></erreur></erreurs></rapport>"
    ).encode()


def factory(fake: FakePortal) -> object:
    """A portal factory returning the same FakePortal (its state survives across runs)."""

    def make() -> AbstractContextManager[Portal]:
        return fake

    return make


def quiet_run(
    config: Config, fake: FakePortal, at: dt.datetime, *, collect_only: bool = False
) -> RunSummary:
    """One run against ``fake`` at the fixed time ``at``, without progress output."""
    return run_deposit(
        RunContext.create(config, now=lambda: at, progress=lambda _line: None),
        portal_factory=factory(fake),
        options=RunOptions(collect_only=collect_only),
    )


__all__ = ["HOLDER_NOT_FOUND"]
