"""The disk spool: grouping order and idTechnique reuse."""

from __future__ import annotations

from builders.flux.spool import Spool
from builders.flux.writer import fragment_for
from tests.unit.builders_output.conftest import make_record, spool_add, spool_claim


def test_spool_rejects_reused_id_technique_naming_first_row():
    """The later row with a used idTechnique is refused with the first file and row."""
    with Spool() as spool:
        first = fragment_for(make_record("T1"), "1.1.5")
        assert spool_add(spool, first, source="a.csv", row=2) is None
        message = spool_add(spool, fragment_for(make_record("T1"), "1.1.5"), source="b.csv", row=7)
        assert message == "already used in a.csv row 2 (an idTechnique is unique per emitter)"
        assert spool.count == 1


def test_spool_id_technique_unique_per_emitter_only():
    """The same idTechnique under another emitter is accepted."""
    with Spool() as spool:
        spool_add(spool, fragment_for(make_record("T1"), "1.1.5"), source="a.csv", row=2)
        other = make_record("T1", emetteur="ZZ999ZZZ")
        assert spool_add(spool, fragment_for(other, "1.1.5"), source="a.csv", row=3) is None
        assert spool.count == 2


def test_spool_streams_grouped_by_file_then_certification_in_input_order():
    """Groups come in first-seen order of file, then certification; rows keep input order."""
    rows = [
        make_record("A1", code="RNCP1"),
        make_record("B1", certificateur="BBBBBBBB"),
        make_record("A2", code="RNCP2"),
        make_record("A3", code="RNCP1"),
        make_record("B2", certificateur="BBBBBBBB"),
    ]
    with Spool() as spool:
        for number, record in enumerate(rows, start=2):
            spool_add(spool, fragment_for(record, "1.1.5"), source="x.csv", row=number)
        order = [
            (f.file_key.id_client_certificateur, f.cert_key.code, f.id_technique)
            for run in spool.runs()
            for f in run.fragments()
        ]
    assert order == [
        ("AB123CDE", "RNCP1", "A1"),
        ("AB123CDE", "RNCP1", "A3"),
        ("AB123CDE", "RNCP2", "A2"),
        ("BBBBBBBB", "RNCP12345", "B1"),
        ("BBBBBBBB", "RNCP12345", "B2"),
    ]


def test_spool_close_deletes_its_database(tmp_path):
    """Closing the spool removes its temporary folder (personal data never lingers)."""
    spool = Spool(tmp_path)
    spool_add(spool, fragment_for(make_record("T1"), "1.1.5"), source="a.csv", row=2)
    assert len(list(tmp_path.iterdir())) == 1
    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_spool_names_first_row_for_reuses_after_later_claims():
    """A second reuse, after more claims, still names the right first row and file."""
    with Spool() as spool:
        for number in range(2, 40):
            record = make_record(f"T{number}")
            fragment = fragment_for(record, "1.1.5")
            assert spool_claim(spool, fragment, source="a.csv", row=number) is None
        again = fragment_for(make_record("T5"), "1.1.5")
        assert spool_claim(spool, again, source="b.csv", row=2) == (
            "already used in a.csv row 5 (an idTechnique is unique per emitter)"
        )
        u1 = fragment_for(make_record("U1"), "1.1.5")
        assert spool_claim(spool, u1, source="b.csv", row=3) is None
        later = fragment_for(make_record("U1"), "1.1.5")
        assert spool_claim(spool, later, source="c.csv", row=9) == (
            "already used in b.csv row 3 (an idTechnique is unique per emitter)"
        )
        assert spool.claimed == 39


def test_spool_claim_rows_names_an_earlier_row_of_the_same_slice():
    """A slice of claims reusing an id of its own earlier row refuses the later one, naming it."""
    with Spool() as spool:
        assert spool.claim_rows("a.csv", [2, 3], ["E1", "E1"], ["X", "Y"]) == {}
        refused = spool.claim_rows(
            "b.csv", [4, 5, 6, 7], ["E1", "E1", "E2", "E1"], ["Z", "Z", "Z", "Y"]
        )
        assert refused == {
            1: "already used in b.csv row 4 (an idTechnique is unique per emitter)",
            3: "already used in a.csv row 3 (an idTechnique is unique per emitter)",
        }
        assert spool.claimed == 4
        # The refused rows were not recorded: the first claims still name rows 4 and 3.
        assert spool.claim_rows("c.csv", [9], ["E1"], ["Z"]) == {
            0: "already used in b.csv row 4 (an idTechnique is unique per emitter)"
        }
