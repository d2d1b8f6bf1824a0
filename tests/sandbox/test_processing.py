"""Processing of received files (control, simulated nirisation, reports), without a browser."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from lxml import etree

from builders.cdc import messages
from builders.cdc.reports import parse_report
from portal.sandbox.deposits import DepositService
from portal.sandbox.labels import Status
from portal.sandbox.processing import SUPPRESSION_UNKNOWN, Processor, Worker
from portal.sandbox.rows import Deposit
from portal.sandbox.store import Store
from tests.sandbox.fluxgen import BCR, P, write_flux

XSD_115 = "cdc-certifications-1.1.5.xsd"


class Replica:
    """A store, the deposit service and the processor on a temporary data folder."""

    def __init__(self, data_dir: Path, xsd: Path | None) -> None:
        data_dir.mkdir(mode=0o700, exist_ok=True)
        self.data_dir = data_dir
        self.store = Store(data_dir)
        self.deposits = DepositService(self.store, data_dir, max_bytes=10_000_000)
        self.processor = Processor(self.store, data_dir, lambda: xsd)

    def deposit(self, path: Path, name: str | None = None) -> Deposit:
        with path.open("rb") as stream:
            return self.deposits.accept("certificateur", name or path.name, stream)

    def run(self, path: Path, name: str | None = None) -> tuple[Deposit, etree._Element]:
        deposit = self.deposit(path, name)
        self.processor.process(deposit)
        done = self.store.get_deposit(deposit.id)
        assert done is not None and done.report_path is not None
        return done, etree.parse(self.data_dir / done.report_path).getroot()


@pytest.fixture
def replica(tmp_path: Path, shared_cdc: Path) -> Replica:
    """A replica controlling files with the official XSD 1.1.5."""
    return Replica(tmp_path / "sandbox", shared_cdc / XSD_115)


def ko_messages(report: etree._Element) -> dict[str, str]:
    """idTechnique -> messageErreur of the PassagesKO section."""
    return {
        p.findtext("idTechnique"): p.findtext("messageErreur")
        for p in report.iterfind("PassagesKO/passage")
    }


def ok_ids(report: etree._Element) -> list[str | None]:
    """The idTechnique of the PassagesOK section, in order."""
    return [e.text for e in report.iterfind("PassagesOK/idTechnique")]


def test_processor_official_creation_sample_is_accepted(replica: Replica, shared_cdc: Path) -> None:
    """The official 2026 CREATION example gets every passage OK and "Traité avec succès"."""
    deposit, report = replica.run(shared_cdc / "cdc-example-1.1.5-CREATION.xml")
    assert deposit.status is Status.PROCESSED
    assert [child.tag for child in report] == [
        "nomFichier",
        "idFlux",
        "idTraitement",
        "PassagesKO",
        "PassagesOK",
    ]
    assert report.findtext("nomFichier") == "cdc-example-1.1.5-CREATION.xml"
    assert report.findtext("idFlux") == "dbef0895-cd51-421e-bb8c-a9028eebb21a"
    assert report.findtext("idTraitement") == str(deposit.id_traitement)
    assert ok_ids(report) == ["ID_TECHNIQUE_01", "ID_TECHNIQUE_02", "ID_TECHNIQUE_03"]
    assert len(report.find("PassagesKO")) == 0


def test_processor_report_has_the_real_envelope(replica: Replica, shared_cdc: Path) -> None:
    """Declaration, root, unused ns2 namespace and unqualified children match the samples."""
    deposit, report = replica.run(shared_cdc / "cdc-example-1.1.5-CREATION.xml")
    raw = (replica.data_dir / str(deposit.report_path)).read_bytes()
    first, second = raw.decode().splitlines()[:2]
    assert first == '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
    assert second == '<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">'
    assert report.tag == "rapport"
    assert report.nsmap == {"ns2": "urn:cdc:cpf:pc5:rapport:schema"}
    assert all(etree.QName(e).namespace is None for e in report.iter())
    parsed = parse_report(raw)
    assert parsed.ok_ids == ("ID_TECHNIQUE_01", "ID_TECHNIQUE_02", "ID_TECHNIQUE_03")
    assert parsed.nom_fichier == "cdc-example-1.1.5-CREATION.xml"
    assert parsed.id_traitement == str(deposit.id_traitement)


def test_processor_registry_names_get_the_cdc_holder_messages(
    replica: Replica, tmp_path: Path
) -> None:
    """Seeded birth names give the four exact nirisation messages; others match."""
    flux = write_flux(
        tmp_path / "holders.xml",
        [
            P("p-ok", "Durand"),
            P("p-unknown", "Inconnu"),
            P("p-several", "HOMONYME"),
            P("p-enriched", "inconnu-date"),
            P("p-reconciliation", "Inconnu-Commune"),
            P("p-accent", "Homonymé"),
        ],
    )
    deposit, report = replica.run(flux)
    assert deposit.status is Status.PROCESSED_WITH_ERRORS
    assert ok_ids(report) == ["p-ok"]
    assert ko_messages(report) == {
        "p-unknown": messages.HOLDER_NOT_FOUND,
        "p-several": messages.SEVERAL_HOLDERS,
        "p-enriched": messages.HOLDER_NOT_FOUND_ENRICHED,
        "p-reconciliation": messages.HOLDER_NOT_FOUND_RECONCILIATION,
        "p-accent": messages.SEVERAL_HOLDERS,
    }
    parsed = parse_report(replica.data_dir / str(deposit.report_path))
    assert {p.id_technique: p.klass for p in parsed.ko} == {
        "p-unknown": messages.KoClass.HOLDER_NOT_FOUND,
        "p-several": messages.KoClass.SEVERAL_HOLDERS,
        "p-enriched": messages.KoClass.HOLDER_NOT_FOUND,
        "p-reconciliation": messages.KoClass.HOLDER_NOT_FOUND,
        "p-accent": messages.KoClass.SEVERAL_HOLDERS,
    }


def test_processor_duplicates_are_keyed_by_emitter_and_id_across_deposits(
    replica: Replica, tmp_path: Path
) -> None:
    """A passage accepted earlier, or twice in one file, gets the "existe déjà" message."""
    replica.run(write_flux(tmp_path / "first.xml", [P("dup-1"), P("dup-2")]))
    flux = write_flux(tmp_path / "second.xml", [P("dup-1"), P("new-1"), P("new-1")])
    other = write_flux(tmp_path / "other-bcr.xml", [P("dup-2")], bcr="99XYZ999")
    deposit, report = replica.run(flux)
    assert deposit.status is Status.PROCESSED_WITH_ERRORS
    assert ok_ids(report) == ["new-1"]
    assert [p.findtext("messageErreur") for p in report.iterfind("PassagesKO/passage")] == [
        messages.duplicate_message(BCR, "dup-1"),
        messages.duplicate_message(BCR, "new-1"),
    ]
    _, other_report = replica.run(other)
    assert ok_ids(other_report) == ["dup-2"]
    assert replica.store.passage_count() == 4


@pytest.mark.parametrize(
    ("type_", "code"),
    [("RS", "RNCP34827"), ("RS", "1710"), ("RNCP", "RNCP99999"), ("Habilitation", "HAB12")],
)
def test_processor_unknown_or_mistyped_certification_is_ko(
    replica: Replica, tmp_path: Path, type_: str, code: str
) -> None:
    """Codes that do not match their type, or are withdrawn, get the certification-KO text."""
    flux = write_flux(tmp_path / "cert.xml", [P("c-1")], type_=type_, code=code)
    _, report = replica.run(flux)
    assert ko_messages(report) == {"c-1": messages.certification_ko_message(BCR, "c-1")}


def test_processor_end_of_validity_before_start_is_ko(replica: Replica, tmp_path: Path) -> None:
    """dateFinValidite before dateDebutValidite gets the validity-date message."""
    flux = write_flux(
        tmp_path / "dates.xml",
        [P("d-bad", start="2026-06-30", end="2026-01-01"), P("d-ok", end="2031-06-30")],
    )
    _, report = replica.run(flux)
    assert ko_messages(report) == {"d-bad": messages.validity_date_message(BCR, "d-bad")}
    assert ok_ids(report) == ["d-ok"]


def test_processor_suppression_removes_passages_so_they_can_be_sent_again(
    replica: Replica, shared_cdc: Path, tmp_path: Path
) -> None:
    """CREATION, SUPPRESSION, then the same CREATION again: accepted again, not duplicates."""
    creation = shared_cdc / "cdc-example-1.1.5-CREATION.xml"
    replica.run(creation)
    deposit, report = replica.run(shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml")
    assert deposit.status is Status.PROCESSED
    assert ok_ids(report) == ["ID_TECHNIQUE_01", "ID_TECHNIQUE_02", "ID_TECHNIQUE_03"]
    assert replica.store.passage_count() == 0
    again, report = replica.run(creation, "creation-again.xml")
    assert again.status is Status.PROCESSED
    assert len(ok_ids(report)) == 3


def test_processor_suppression_of_unknown_passage_is_ko(replica: Replica, shared_cdc: Path) -> None:
    """Deleting a passage the replica does not hold is refused with the replica's own text."""
    deposit, report = replica.run(shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml")
    assert deposit.status is Status.PROCESSED_WITH_ERRORS
    assert ko_messages(report)["ID_TECHNIQUE_02"] == SUPPRESSION_UNKNOWN.format(
        bcr="04VHF013", id_technique="ID_TECHNIQUE_02"
    )


def test_processor_xsd_failure_writes_error_report_capped_at_100(
    replica: Replica, tmp_path: Path
) -> None:
    """A file failing the XSD gets the erreurs shape (no idFlux, no passages), 100 errors max."""
    flux = write_flux(tmp_path / "bad.xml", [P(f"x-{i}", sexe="X") for i in range(150)])
    deposit, report = replica.run(flux)
    assert deposit.status is Status.PROCESSED_WITH_ERRORS
    assert [child.tag for child in report] == ["nomFichier", "idTraitement", "erreurs"]
    errors = report.findall("erreurs/erreur")
    assert len(errors) == 100
    first = errors[0]
    assert [child.tag for child in first] == ["type", "message", "ligne", "colonne"]
    assert first.findtext("type") == "XSD"
    assert "sexe" in (first.findtext("message") or "")
    assert int(first.findtext("ligne") or 0) == 4  # the first passage's line
    assert replica.store.passage_count() == 0
    parsed = parse_report(replica.data_dir / str(deposit.report_path))
    assert parsed.file_rejected and len(parsed.errors) == 100 and parsed.id_flux is None


def test_processor_without_xsd_uses_the_projects_rules(tmp_path: Path, shared_cdc: Path) -> None:
    """With no XSD, builders.cdc.check errors decide: official samples pass, a broken copy fails."""
    replica = Replica(tmp_path / "sandbox", None)
    pix, _ = replica.run(shared_cdc / "pix-deposit-sample-RS-1.1.2.xml")
    assert pix.status is Status.PROCESSED
    _official, report = replica.run(shared_cdc / "cdc-example-1.1.2-Fichier-XML-v2.0.0.xml")
    # its voieAccessVAE without VAE is only a warning: stage 1 passes, passages are judged
    assert report.find("erreurs") is None
    assert report.find("PassagesOK") is not None or report.find("PassagesKO") is not None
    text = (shared_cdc / "cdc-example-1.1.2-Fichier-XML-v2.0.0.xml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(
        text.replace("2030-12-13</cpf:dateFinValidite>", "2019-01-01</cpf:dateFinValidite>", 1),
        encoding="utf-8",
    )
    rejected, report = replica.run(broken)
    assert rejected.status is Status.PROCESSED_WITH_ERRORS
    assert "dateFinValidite" in (report.findtext("erreurs/erreur/message") or "")


def test_processor_uses_newest_imported_schema(tmp_path: Path, shared_cdc: Path) -> None:
    """XSDs imported under <agent data_dir>/schemas/<version>/ are found, newest first."""
    from builders.cdc.schemas import import_schema
    from portal.sandbox.control import find_xsd

    agent_dir = tmp_path / "agent"
    import_schema(shared_cdc / "cdc-certifications-1.1.2.xsd", agent_dir)
    assert find_xsd(None, agent_dir) is not None
    import_schema(shared_cdc / "cdc-certifications-1.1.5.xsd", agent_dir)
    newest = find_xsd(None, agent_dir)
    assert newest is not None and newest.parent.name == "1.1.5"
    assert find_xsd(None, tmp_path / "nothing") is None


def test_worker_processes_pending_deposits_after_a_restart(
    replica: Replica, tmp_path: Path
) -> None:
    """A deposit left pending is processed by a new worker on the same data folder."""
    deposit = replica.deposit(write_flux(tmp_path / "pending.xml", [P("w-1")]))
    assert replica.store.get_deposit(deposit.id).status is Status.PROCESSING  # type: ignore[union-attr]
    reopened = Store(replica.data_dir)
    worker = Worker(reopened, replica.processor, lambda: 0.0)
    worker.run_once()
    assert reopened.get_deposit(deposit.id).status is Status.PROCESSED  # type: ignore[union-attr]


def test_worker_waits_for_the_processing_delay(replica: Replica, tmp_path: Path) -> None:
    """A deposit younger than the delay stays "En cours de traitement"."""
    deposit = replica.deposit(write_flux(tmp_path / "slow.xml", [P("s-1")]))
    worker = Worker(replica.store, replica.processor, lambda: 3600.0)
    wait = worker.run_once()
    assert replica.store.get_deposit(deposit.id).status is Status.PROCESSING  # type: ignore[union-attr]
    assert 0 < wait <= 1.0


def test_deposit_receipt_ko_for_unreadable_files(replica: Replica, tmp_path: Path) -> None:
    """Not well-formed, DOCTYPE, another root, empty: receipt KO, "Rejeté", no processing."""
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?>\n<cpf:flux xmlns:cpf="urn:cdc:cpf:pc5:schema:1.0.0">\n<a>'
    )
    other = tmp_path / "other.xml"
    other.write_text("<rapport/>")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    doctype = tmp_path / "doctype.xml"
    doctype.write_text(
        '<!DOCTYPE cpf:flux [<!ENTITY e SYSTEM "file:///etc/hostname">]>\n'
        '<cpf:flux xmlns:cpf="urn:cdc:cpf:pc5:schema:1.0.0"><cpf:idFlux>&e;</cpf:idFlux>'
        "</cpf:flux>"
    )
    cases = ((doctype, "DOCTYPE"), (broken, "mal formé"), (other, "racine"), (empty, "vide"))
    receipts = {}
    for path, reason in cases:
        deposit = replica.deposit(path)
        assert deposit.status is Status.REJECTED
        receipt = etree.parse(replica.data_dir / deposit.receipt_path).getroot()
        assert receipt.findtext("resultat") == "KO"
        assert reason in (receipt.findtext("motif") or "")
        receipts[path.name] = receipt
    assert receipts["broken.xml"].findtext("ligne") == "3"
    assert receipts["doctype.xml"].findtext("idFlux") is None
    assert replica.store.pending() == []


def test_deposit_receipt_ok_names_file_size_and_flux(replica: Replica, shared_cdc: Path) -> None:
    """The OK receipt carries the name as uploaded, the size, the date and the idFlux."""
    sample = shared_cdc / "pix-deposit-sample-RS-1.1.2.xml"
    deposit = replica.deposit(sample, "mon dépôt.xml")
    receipt = etree.parse(replica.data_dir / deposit.receipt_path).getroot()
    assert receipt.tag == "accuseReception"
    assert receipt.findtext("resultat") == "OK"
    assert receipt.findtext("nomFichier") == "mon dépôt.xml"
    assert receipt.findtext("tailleOctets") == str(sample.stat().st_size)
    assert receipt.findtext("idFlux") == "xxx-yyy-zzz"
    assert (receipt.findtext("dateReception") or "").startswith(deposit.deposited_at[:16])


def test_deposit_files_are_owner_only(replica: Replica, shared_cdc: Path) -> None:
    """Stored deposit, receipt, report and their folders are 0600 / 0700."""
    deposit, _ = replica.run(shared_cdc / "cdc-example-1.1.5-CREATION.xml")
    for relative in (deposit.stored_path, deposit.receipt_path, deposit.report_path):
        path = replica.data_dir / str(relative)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700


def test_deposit_refuses_non_xml_and_oversize_storing_nothing(tmp_path: Path) -> None:
    """Wrong extension or too many bytes: UploadRefused, and no file left in deposits/."""
    from portal.sandbox.deposits import UploadRefused

    data_dir = tmp_path / "sandbox"
    data_dir.mkdir()
    store = Store(data_dir)
    service = DepositService(store, data_dir, max_bytes=100)
    with pytest.raises(UploadRefused, match=r"\.xml"):
        service.accept("u", "lot.csv", io.BytesIO(b"a;b"))
    with pytest.raises(UploadRefused, match="taille maximale") as refused:
        service.accept("u", "big.xml", io.BytesIO(b"<a/>" + b" " * 200))
    assert refused.value.status == 413
    assert list((data_dir / "deposits").iterdir()) == []
    assert store.deposits() == []
    shutil.rmtree(data_dir)


def test_processor_reads_passages_without_holding_the_write_lock(
    replica: Replica, tmp_path: Path
) -> None:
    """While passages are decided, another connection can still write (pages stay usable)."""
    import sqlite3

    writable: list[bool] = []

    class Probe(Processor):
        def _outcomes(self, *args: object, **kwargs: object) -> None:
            super()._outcomes(*args, **kwargs)  # type: ignore[arg-type]
            other = sqlite3.connect(replica.store.path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writable.append(True)
            except sqlite3.OperationalError:
                writable.append(False)
            finally:
                other.close()

    probe = Probe(replica.store, replica.data_dir, replica.processor.xsd)
    deposit = replica.deposit(write_flux(tmp_path / "lock.xml", [P("l-1"), P("l-2")]))
    assert probe.process(deposit) is Status.PROCESSED
    assert writable == [True]
    assert replica.store.passage_count() == 2


def test_worker_one_failing_deposit_does_not_block_the_others(
    replica: Replica, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A deposit whose file vanished is logged and retried later; the next one is processed."""
    lost = replica.deposit(write_flux(tmp_path / "perdu.xml", [P("v-1")]))
    good = replica.deposit(write_flux(tmp_path / "bon.xml", [P("v-2")]))
    (replica.data_dir / lost.stored_path).unlink()
    worker = Worker(replica.store, replica.processor, lambda: 0.0)
    worker.run_once()
    assert replica.store.get_deposit(good.id).status is Status.PROCESSED  # type: ignore[union-attr]
    assert replica.store.get_deposit(lost.id).status is Status.PROCESSING  # type: ignore[union-attr]
    failure = f"sandbox deposit {lost.id} failed"
    assert caplog.text.count(failure) == 1
    worker.run_once()
    assert caplog.text.count(failure) == 1  # not retried at once: it waits for the retry delay
