"""import_file end to end: CSV/XLSX rows to records, every bad row reported with its field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from builders.cdc.models import Mention, ModalitePassageExamen
from builders.errors import BuildError
from builders.exports.importer import import_file
from builders.exports.results import RowError
from builders.settings import BuildSettings, Declarant

from .helpers import DECLARANT, base_row, error_fields, import_one, import_rows, write_csv


def test_import_file_reads_labels_and_dates(tmp_path: Path) -> None:
    """French labels, DD/MM/YYYY dates and oui/non become XSD values."""
    row = base_row(modalitePassageExamen="En présentiel", dateFinValidite="2029-06-28")
    result = import_one(tmp_path, row)
    assert result.errors == ()
    assert result.record is not None
    passage = result.record.passage
    assert passage.modalitePassageExamen is ModalitePassageExamen.EN_PRESENTIEL
    assert passage.mentionValidee is Mention.MENTION_ASSEZ_BIEN
    assert passage.dateDebutValidite == dt.date(2024, 6, 28)
    assert passage.dateFinValidite == dt.date(2029, 6, 28)
    assert passage.donneeCertifiee is True
    assert result.source == str(tmp_path / "export.csv")
    assert result.row == 2


def test_import_file_reports_every_problem_of_a_row(tmp_path: Path) -> None:
    """A row with several problems yields all of them with field, raw value and reason."""
    row = base_row(
        dateDebutValidite="31/02/2024",
        sexe="X",
        nomNaissance="N" * 61,
        presenceNiveauLangueEuro="peut-être",
        prenom1="",
    )
    result = import_one(tmp_path, row)
    assert result.record is None
    by_field = {error.field: error for error in result.errors}
    assert set(by_field) == {
        "dateDebutValidite",
        "sexe",
        "nomNaissance",
        "presenceNiveauLangueEuro",
        "prenom1",
    }
    assert by_field["dateDebutValidite"] == RowError(
        str(tmp_path / "export.csv"),
        2,
        "dateDebutValidite",
        "31/02/2024",
        "not a real calendar date (February 2024 has 29 days)",
    )
    assert by_field["sexe"].message == "expected one of: M, F"
    assert by_field["nomNaissance"].message == "at most 60 characters"
    assert by_field["prenom1"].message == "required, but the cell is empty"
    assert by_field["prenom1"].value == ""


def test_import_file_good_rows_proceed_past_bad_ones(tmp_path: Path) -> None:
    """Bad rows are reported and the good rows around them still give records."""
    rows = [
        base_row(idTechnique="A"),
        base_row(idTechnique="B", dateDebutValidite="hier"),
        base_row(idTechnique="C"),
    ]
    results = import_rows(tmp_path, rows)
    assert [(result.row, result.record is not None) for result in results] == [
        (2, True),
        (3, False),
        (4, True),
    ]
    assert results[1].errors[0].field == "dateDebutValidite"


def test_import_file_rule_errors_name_the_cdc_field(tmp_path: Path) -> None:
    """Business-rule violations come back under the field they concern."""
    row = base_row(
        modaliteAcces="VAE",
        presenceNiveauLangueEuro="oui",
        dateFinValidite="01/01/2024",
        codePostal="69003",
    )
    result = import_one(tmp_path, row)
    assert error_fields(result) == {
        "voieAccessVAE",
        "niveauLangueEuropeen",
        "dateFinValidite",
        "codePostal",
    }
    end = next(error for error in result.errors if error.field == "dateFinValidite")
    assert end.value == "01/01/2024"
    assert "dateDebutValidite" in end.message


def test_import_file_declarant_defaults(tmp_path: Path) -> None:
    """Empty declarant cells take the [declarant] defaults; row values win when present."""
    rows = [
        base_row(idClientEmetteur="", idContrat="", natureDeposant=""),
        base_row(idTechnique="2", idClientEmetteur="99XYZ999"),
    ]
    declarant = Declarant(
        id_client_emetteur="11AAA111", id_contrat="MCFCER000999", nature_deposant="TIERS_CONFIANCE"
    )
    first, second = import_rows(tmp_path, rows, declarant=declarant)
    assert first.record is not None
    assert second.record is not None
    assert first.record.declaration.idClientEmetteur == "11AAA111"
    assert first.record.declaration.idContrat == "MCFCER000999"
    assert first.record.certification.natureDeposant == "TIERS_CONFIANCE"
    assert second.record.declaration.idClientEmetteur == "99XYZ999"


def test_import_file_declarant_missing_says_where_to_set_it(tmp_path: Path) -> None:
    """No cell and no default: the error names the field and the [declarant] key."""
    result = import_one(tmp_path, base_row(idContrat=""), declarant=Declarant())
    assert [error.field for error in result.errors] == ["idContrat"]
    assert "id_contrat in the [declarant] section" in result.errors[0].message


@pytest.mark.parametrize(("admis", "skipped"), [("non", True), ("Faux", True), ("oui", False)])
def test_import_file_admis_column(tmp_path: Path, admis: str, skipped: bool) -> None:
    """Rows with admis false are skipped (not errors); admitted rows give records."""
    result = import_one(tmp_path, base_row(admis=admis))
    assert result.skipped is skipped
    assert result.errors == ()
    assert (result.record is None) is skipped


def test_import_file_admis_empty_is_an_error(tmp_path: Path) -> None:
    """An empty admis cell is reported rather than declared by default."""
    result = import_one(tmp_path, base_row(admis=""))
    assert error_fields(result) == {"admis"}
    assert not result.skipped


def test_import_file_derives_stable_ids(tmp_path: Path) -> None:
    """Without an idTechnique column, ids are derived and identical on re-import."""
    rows = [base_row(), base_row(prenom1="Zoé", nomNaissance="Durand")]
    headers = [name for name in rows[0] if name != "idTechnique"]
    first = import_rows(tmp_path, rows, headers=headers)
    again = import_rows(tmp_path, rows, headers=headers)
    ids = [result.record.passage.idTechnique for result in first if result.record]
    assert len(set(ids)) == 2
    assert all(value.startswith("AA-") for value in ids)
    assert ids == [result.record.passage.idTechnique for result in again if result.record]


def test_import_file_derived_duplicate_rejected(tmp_path: Path) -> None:
    """The same certificate twice in an export without ids: the second row is rejected."""
    rows = [base_row(), base_row(prenom1="ÉLODIE")]
    headers = [name for name in rows[0] if name != "idTechnique"]
    first, second = import_rows(tmp_path, rows, headers=headers)
    assert first.record is not None
    assert error_fields(second) == {"idTechnique"}
    assert "earlier row" in second.errors[0].message


def test_import_file_duplicate_id_rejected(tmp_path: Path) -> None:
    """Two rows with the same idTechnique: the second is rejected."""
    first, second = import_rows(tmp_path, [base_row(), base_row(nomNaissance="Autre")])
    assert first.record is not None
    assert [(error.field, error.value) for error in second.errors] == [
        ("idTechnique", "2024-RNCP34567-0001")
    ]


def test_import_file_empty_id_cell_is_an_error(tmp_path: Path) -> None:
    """With an idTechnique column, an empty cell is an error explaining the choice."""
    result = import_one(tmp_path, base_row(idTechnique=""))
    assert error_fields(result) == {"idTechnique"}
    assert "remove the idTechnique column" in result.errors[0].message


def test_import_file_date_naissance_split(tmp_path: Path) -> None:
    """dateNaissance fills year, month and day; a partial date leaves month/day unknown."""
    full = base_row(
        anneeNaissance="", moisNaissance="", jourNaissance="", dateNaissance="17/04/1990"
    )
    partial = base_row(
        idTechnique="2", anneeNaissance="", moisNaissance="", jourNaissance="", dateNaissance="1990"
    )
    first, second = import_rows(tmp_path, [full, partial])
    assert first.record is not None
    assert second.record is not None
    holder = first.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert (holder.anneeNaissance, holder.moisNaissance, holder.jourNaissance) == (1990, 4, 17)
    other = second.record.passage.identificationTitulaire.titulaire
    assert other is not None
    assert (other.anneeNaissance, other.moisNaissance, other.jourNaissance) == (1990, None, None)


def test_import_file_date_naissance_conflict(tmp_path: Path) -> None:
    """dateNaissance disagreeing with the split columns is reported."""
    result = import_one(tmp_path, base_row(dateNaissance="18/04/1990"))
    assert error_fields(result) == {"dateNaissance"}
    assert result.errors[0].value == "18/04/1990"


def test_import_file_born_abroad_fills_country(tmp_path: Path) -> None:
    """A 99xxx INSEE code fills codePaysNaissance with its last 3 digits."""
    result = import_one(tmp_path, base_row(codeInsee="99350", libelleCommuneNaissance=""))
    assert result.record is not None
    holder = result.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert (holder.codeInsee, holder.codePaysNaissance) == ("99350", "350")


def test_import_file_country_code_disagreeing_is_reported(tmp_path: Path) -> None:
    """A codePaysNaissance that is not the INSEE code's last 3 digits is an error."""
    result = import_one(tmp_path, base_row(codeInsee="99350", codePaysNaissance="351"))
    assert error_fields(result) == {"codePaysNaissance"}
    assert result.errors[0].value == "351"


def test_import_file_birth_commune_unknown_is_nil_postal(tmp_path: Path) -> None:
    """Neither INSEE nor postal code: accepted, written as a nil codePostal by the writer."""
    result = import_one(tmp_path, base_row(codeInsee=""))
    assert result.record is not None
    holder = result.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert (holder.codeInsee, holder.codePostal) == (None, None)


def test_import_file_nir_branch_1_1_5(tmp_path: Path) -> None:
    """A NIR with its key becomes identifiantNational with the 13 characters (1.1.5)."""
    result = import_one(tmp_path, base_row(nir="2 69 05 49 588 157 80"))
    assert result.record is not None
    identity = result.record.passage.identificationTitulaire
    assert identity.titulaire is None
    assert identity.identifiantNational is not None
    assert identity.identifiantNational.nir == "2690549588157"
    assert identity.identifiantNational.nomNaissance == "Martin"


def test_import_file_nir_wrong_key(tmp_path: Path) -> None:
    """A 15-character NIR with a wrong key is reported under nir with the raw value."""
    result = import_one(tmp_path, base_row(nir="269054958815781"))
    assert [(error.field, error.value) for error in result.errors] == [("nir", "269054958815781")]


def test_import_file_nir_with_1_1_2(tmp_path: Path) -> None:
    """1.1.2: a NIR next to a complete titulaire is ignored; a NIR alone is an error."""
    with_identity = import_one(tmp_path, base_row(nir="2690549588157"), schema_version="1.1.2")
    assert with_identity.record is not None
    assert with_identity.record.passage.identificationTitulaire.titulaire is not None
    alone = {
        name: value
        for name, value in base_row(nir="2690549588157").items()
        if name
        not in {"prenom1", "prenom2", "anneeNaissance", "moisNaissance", "jourNaissance", "sexe"}
        and name not in {"codeInsee", "libelleCommuneNaissance"}
    }
    result = import_one(tmp_path, alone, settings=BuildSettings(schema_version="1.1.2"))
    assert error_fields(result) == {"identifiantNational"}
    assert "1.1.5" in result.errors[0].message
    assert result.errors[0].value == "2690549588157"


def test_import_file_dossier_branch(tmp_path: Path) -> None:
    """A complete dossierFormation is declared instead of a titulaire."""
    row = base_row(idDossier="1234567890123", nomTitulaire="Martin", prenom1Titulaire="Elodie")
    result = import_one(tmp_path, row)
    assert result.record is not None
    identity = result.record.passage.identificationTitulaire
    assert identity.titulaire is None
    assert identity.dossierFormation is not None
    assert identity.dossierFormation.idDossier == "1234567890123"


def test_import_file_digcomp(tmp_path: Path) -> None:
    """scoreGeneral and resultats give the DIGCOMP block; a bad competence is named."""
    good = base_row(presenceNiveauNumeriqueEuro="oui", scoreGeneral="512", resultats="1.1=3|2.6=5")
    bad = base_row(
        idTechnique="2", presenceNiveauNumeriqueEuro="oui", scoreGeneral="512", resultats="1.4=3"
    )
    first, second = import_rows(tmp_path, [good, bad])
    assert first.record is not None
    block = first.record.passage.niveauNumeriqueEuropeen
    assert block is not None
    assert block.scoreGeneral == 512
    assert [(item.domaineCompetenceId, item.competenceId) for item in block.resultats] == [
        ("1", "1"),
        ("2", "6"),
    ]
    assert [(error.field, error.value) for error in second.errors] == [("competenceId", "1.4=3")]
    assert second.errors[0].message.startswith("resultats item 1:")


def test_import_file_control_character_rejected(tmp_path: Path) -> None:
    """A control character in a cell is reported with its code point and position."""
    result = import_one(tmp_path, base_row(prenom2="An\x07ne"))
    assert error_fields(result) == {"prenom2"}
    assert "U+0007 at position 3" in result.errors[0].message


def test_import_file_header_mapping(tmp_path: Path) -> None:
    """[build.columns] renames headers, case-insensitively; CDC names match in any case."""
    row = base_row()
    renamed = {"Nom de naissance" if k == "nomNaissance" else k.upper(): v for k, v in row.items()}
    settings = BuildSettings(columns={"nom de NAISSANCE": "nomNaissance"})
    result = import_one(tmp_path, renamed, settings=settings)
    assert result.errors == ()
    assert result.record is not None


def test_import_file_missing_required_column(tmp_path: Path) -> None:
    """A required column absent from the file is one message for the file, not one per row."""
    row = {k: v for k, v in base_row().items() if k not in {"dateDebutValidite", "sexe"}}
    path = write_csv(tmp_path / "export.csv", [row, row, row])
    with pytest.raises(BuildError) as caught:
        list(import_file(path, declarant=Declarant(), settings=BuildSettings()))
    assert "required column(s) missing: dateDebutValidite, sexe." in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "columns", "reason"),
    [
        (["Nom complet", "Date"], {}, "no header matches a known column"),
        (["idTechnique"], {"Nom": "nomDeFamille"}, "not a known column"),
        (["Nom", "nomNaissance"], {"Nom": "nomNaissance"}, "both give column nomNaissance"),
    ],
)
def test_import_file_unusable_headers(
    tmp_path: Path, headers: list[str], columns: dict[str, str], reason: str
) -> None:
    """Headers that cannot be used raise BuildError naming the file."""
    path = write_csv(tmp_path / "h.csv", [dict.fromkeys(headers, "x")])
    with pytest.raises(BuildError, match=reason) as caught:
        list(import_file(path, declarant=DECLARANT, settings=BuildSettings(columns=columns)))
    assert "h.csv" in str(caught.value)


def test_import_file_schema_version_from_settings(tmp_path: Path) -> None:
    """schema_version None follows the settings; an explicit one overrides them."""
    row = {
        k: v
        for k, v in base_row(nir="2690549588157").items()
        if k in {"idTechnique", "type", "code", "obtentionCertification", "donneeCertifiee"}
        or k in {"dateDebutValidite", "presenceNiveauLangueEuro", "presenceNiveauNumeriqueEuro"}
        or k in {"nir", "nomNaissance"}
    }
    old = BuildSettings(schema_version="1.1.2")
    assert import_one(tmp_path, row, settings=old).record is None
    assert import_one(tmp_path, row, settings=old, schema_version="1.1.5").record is not None


def test_import_file_xlsx(tmp_path: Path) -> None:
    """An XLSX export with typed cells imports like its CSV equivalent."""
    row = base_row()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(row))
    values: list[object] = list(row.values())
    names = list(row)
    values[names.index("dateDebutValidite")] = dt.datetime(2024, 6, 28)  # noqa: DTZ001 - naive, as in Excel
    values[names.index("anneeNaissance")] = 1990.0
    values[names.index("codeInsee")] = 1053  # Excel dropped the leading zero of 01053
    sheet.append(values)
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    (result,) = import_file(path, declarant=DECLARANT, settings=BuildSettings())
    assert result.errors == ()
    assert result.record is not None
    holder = result.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert (holder.anneeNaissance, holder.codeInsee) == (1990, "01053")
    assert result.record.passage.dateDebutValidite == dt.date(2024, 6, 28)


def test_import_file_cp1252_comma_export(tmp_path: Path) -> None:
    """A Windows-1252, comma-separated export with accents imports intact."""
    path = write_csv(tmp_path / "excel.csv", [base_row()], delimiter=",", encoding="cp1252")
    (result,) = import_file(path, declarant=DECLARANT, settings=BuildSettings())
    assert result.record is not None
    holder = result.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert holder.prenom1 == "Élodie"


def test_import_file_type_inferred_from_code(tmp_path: Path) -> None:
    """Without a type, an RNCP/RS code gives it; another code leaves it missing."""
    rows = [base_row(type="", code="rs5875"), base_row(idTechnique="2", type="", code="HAB-1")]
    first, second = import_rows(tmp_path, rows)
    assert first.record is not None
    assert (first.record.certification.type, first.record.certification.code) == ("RS", "RS5875")
    assert error_fields(second) == {"type"}


@pytest.mark.parametrize(("admis", "skipped"), [("Ajourné", True), ("Admise", False)])
def test_import_file_admis_jury_outcomes(tmp_path: Path, admis: str, skipped: bool) -> None:
    """Jury outcomes read as admitted or not."""
    assert import_one(tmp_path, base_row(admis=admis)).skipped is skipped


def test_import_file_bad_declarant_default_named(tmp_path: Path) -> None:
    """A wrong [declarant] default is reported under its field, naming the config key."""
    declarant = Declarant(id_client_emetteur="123", id_client_certificateur="12ABC345")
    result = import_one(tmp_path, base_row(idClientEmetteur=""), declarant=declarant)
    assert [(error.field, error.value, error.message) for error in result.errors] == [
        (
            "idClientEmetteur",
            "",
            "expected exactly 8 characters (a BCR) (the [declarant] default id_client_emetteur)",
        )
    ]


def test_import_file_warns_about_ignored_columns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Headers that match no column are named in a warning, and the row still imports."""
    row = {**base_row(), "nomUsag": "Dupont", "Remarques": "x"}
    with caplog.at_level("WARNING", logger="builders.exports.importer"):
        result = import_one(tmp_path, row)
    assert result.record is not None
    assert "columns ignored" in caplog.text
    assert "'nomUsag' (did you mean nomUsage?), 'Remarques'" in caplog.text


def test_import_file_shares_repeated_blocks(tmp_path: Path) -> None:
    """Rows repeating the declarant and certification share one validated instance of each."""
    first, second, third = import_rows(
        tmp_path,
        [base_row(), base_row(idTechnique="2"), base_row(idTechnique="3", code="RNCP1")],
    )
    assert first.record is not None
    assert second.record is not None
    assert third.record is not None
    assert first.record.certification is second.record.certification
    assert first.record.declaration is third.record.declaration
    assert third.record.certification.code == "RNCP1"


def test_import_file_partial_date_naissance_keeps_month_column(tmp_path: Path) -> None:
    """A year-only dateNaissance does not contradict a filled moisNaissance."""
    row = base_row(anneeNaissance="", jourNaissance="", moisNaissance="4", dateNaissance="1990")
    result = import_one(tmp_path, row)
    assert result.record is not None
    holder = result.record.passage.identificationTitulaire.titulaire
    assert holder is not None
    assert (holder.anneeNaissance, holder.moisNaissance, holder.jourNaissance) == (1990, 4, None)


def test_import_file_presence_flags_inferred_without_columns(tmp_path: Path) -> None:
    """Without the presence columns, each flag is true exactly when its level is given."""
    plain = base_row()
    levels = base_row(idTechnique="2", niveauLangueEuropeen="B2", scoreGeneral="400")
    for row in (plain, levels):
        del row["presenceNiveauLangueEuro"], row["presenceNiveauNumeriqueEuro"]
    first, second = import_rows(tmp_path, [plain, levels], headers=list(levels))
    assert first.record is not None
    assert second.record is not None
    assert (
        first.record.passage.presenceNiveauLangueEuro,
        first.record.passage.presenceNiveauNumeriqueEuro,
    ) == (False, False)
    assert (
        second.record.passage.presenceNiveauLangueEuro,
        second.record.passage.presenceNiveauNumeriqueEuro,
    ) == (True, True)


def test_import_file_presence_flag_empty_cell_is_an_error(tmp_path: Path) -> None:
    """With the presence column, an empty cell stays an error (the flag is required)."""
    result = import_one(tmp_path, base_row(presenceNiveauLangueEuro=""))
    assert error_fields(result) == {"presenceNiveauLangueEuro"}
