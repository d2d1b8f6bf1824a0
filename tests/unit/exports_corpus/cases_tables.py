"""Corpus cases: finding the table, French headers, the jury outcome, config tables."""

from __future__ import annotations

from .harness import (
    FR_HEADERS,
    Case,
    csv_file,
    drop,
    fr_row,
    fr_table,
    rows_of,
    xlsx_file,
)

_TITLE = ["Résultats de la session de juin 2024"]
_GROUPS = ["Candidat", None, None, None, None, None, None, "Certification", None, None]
_OUTCOMES = (
    ("Admis(e)", True),
    ("Reçu(e)", True),
    ("OUI", True),
    ("X", True),
    ("1", True),
    ("true", True),
    ("Ajourné(e)", False),
    ("Non", False),
    ("Absente", False),
    ("Refusé", False),
    ("Éliminé(e)", False),
    ("0", False),
    ("FALSE", False),
)
_STATUT = [*FR_HEADERS[:-1], "Statut"]
_MESSY = [
    "N°\ncandidat",
    "NOM DE NAISSANCE",
    "prénom ",
    "date_de_naissance",
    "SEXE",
    "Code INSEE\n(commune de naissance)",
    "Commune  de naissance",
    "code rncp",
    "Date d’obtention",
    "RÉSULTAT",
]

CASES = [
    Case("fr-headers-csv-utf8-bom", csv_file("export.csv", fr_table(3)), 0, valid=3),
    Case(
        "fr-headers-csv-cp1252",
        csv_file("export.csv", fr_table(3), encoding="cp1252"),
        0,
        valid=3,
    ),
    Case(
        "fr-headers-csv-comma-sep-hint",
        csv_file("export.csv", fr_table(2), delimiter=",", first_line="sep=,"),
        0,
        valid=2,
    ),
    Case(
        "messy-headers-case-accents-line-breaks",
        csv_file("export.csv", fr_table(2, headers=_MESSY)),
        0,
        valid=2,
    ),
    Case(
        "tab-separated-txt",
        csv_file("export.txt", fr_table(2), encoding="utf-8", delimiter="\t"),
        0,
        valid=2,
    ),
    Case(
        "excel-texte-unicode-utf16",
        csv_file("export.txt", fr_table(3), encoding="utf-16", delimiter="\t"),
        0,
        valid=3,
    ),
    Case(
        "csv-title-and-blank-row-above-header",
        csv_file("export.csv", [_TITLE, [], *fr_table(2), fr_row(3, Sexe="Z")]),
        1,
        valid=2,
        rejected=rows_of((6, "sexe")),
        header_row=3,
    ),
    Case(
        "xlsx-title-row-and-merged-group-header",
        xlsx_file("export.xlsx", {"Export": [_TITLE, _GROUPS, *fr_table(3)]}, merged=["A2:G2"]),
        0,
        valid=3,
        header_row=3,
    ),
    Case(
        "xlsx-data-on-second-sheet",
        xlsx_file(
            "export.xlsx", {"Notice": [["Mode d'emploi"], ["Voir l'onglet"]], "Jury": fr_table(2)}
        ),
        0,
        valid=2,
        sheet="Jury",
    ),
    Case(
        "xlsx-sheet-option-picks-the-named-sheet",
        xlsx_file("export.xlsx", {"2023": fr_table(1), "2024": fr_table(4)}),
        0,
        valid=4,
        args=("--sheet", "2024"),
        sheet="2024",
    ),
    Case(
        "xlsx-sheet-option-unknown-sheet",
        xlsx_file("export.xlsx", {"2023": fr_table(1)}),
        2,
        args=("--sheet", "2025"),
        says=("no sheet named '2025'", "'2023'"),
    ),
    Case(
        "no-table-found-says-what-was-tried",
        csv_file(
            "export.csv", [_TITLE, ["Nom complet", "Né(e) à", "Diplôme"], ["A B", "Lyon", "X"]]
        ),
        2,
        says=(
            "no header matches a known column",
            "tried rows 1-20",
            "row 2, holds 'Nom complet'",
        ),
    ),
    Case(
        "xlsx-no-table-on-any-sheet",
        xlsx_file("export.xlsx", {"A": [["Nom complet"]], "B": [["Diplôme", "Ville"]]}),
        2,
        says=("sheets 'A', 'B'", "sheet 'B' row 1"),
    ),
    Case(
        "outcome-values-table",
        csv_file(
            "export.csv",
            [list(FR_HEADERS)]
            + [fr_row(n, value) for n, (value, _) in enumerate(_OUTCOMES, start=1)]
            + [fr_row(99, "En attente")],
        ),
        1,
        valid=6,
        skipped=7,
        rejected=rows_of((len(_OUTCOMES) + 2, "admis")),
        says=("expected an outcome: Admis",),
    ),
    Case(
        "xlsx-excel-boolean-outcomes",
        xlsx_file("export.xlsx", {"Jury": [list(FR_HEADERS), fr_row(1, True), fr_row(2, False)]}),
        0,
        valid=1,
        skipped=1,
    ),
    Case(
        "decision-du-jury-label-is-the-outcome",
        csv_file(
            "export.csv",
            [[*FR_HEADERS[:-1], "Décision du jury"], fr_row(1), fr_row(2, "Ajournée")],
        ),
        0,
        valid=1,
        skipped=1,
    ),
    Case(
        "unmapped-statut-column-refuses-the-file",
        csv_file("export.csv", [_STATUT, fr_row(1), fr_row(2, "Ajourné")]),
        2,
        says=("'Statut' looks like the jury outcome", '[build.columns] "Statut" = "admis"'),
    ),
    Case(
        "unmapped-outcome-found-by-its-values",
        csv_file(
            "export.csv",
            [[*FR_HEADERS[:-1], "Décision finale"], fr_row(1, "Reçu"), fr_row(2, "Refusé")],
        ),
        2,
        says=("'Décision finale' looks like the jury outcome", "all_rows_admitted = true"),
    ),
    Case(
        "statut-mapped-in-config-skips-the-failed",
        csv_file("export.csv", [_STATUT, fr_row(1), fr_row(2, "Ajourné"), fr_row(3, "Absent")]),
        0,
        valid=1,
        skipped=2,
        build={"columns": {"Statut": "admis"}},
    ),
    Case(
        "no-outcome-column-is-declared-in-full",
        csv_file("export.csv", drop(fr_table(2), "Résultat")),
        0,
        valid=2,
    ),
    Case(
        "all-rows-admitted-accepts-an-oui-column",
        csv_file("export.csv", [_STATUT, fr_row(1, "Oui"), fr_row(2, "Admis")]),
        0,
        valid=2,
        build={"all_rows_admitted": True},
        warnings=rows_of((1, "")),
    ),
    Case(
        "xlsx-rows-hidden-by-hand-are-warned",
        xlsx_file("export.xlsx", {"Jury": fr_table(4)}, hidden=[3, 5]),
        0,
        valid=4,
        hidden=2,
        warnings=rows_of((3, "")),
        says=("2 hidden row(s) (hidden by a filter or by hand) read like the others: 3, 5;",),
    ),
    Case(
        "xlsx-rows-hidden-by-a-filter-are-warned",
        xlsx_file("export.xlsx", {"Jury": fr_table(3)}, hidden=[2], filtered=True),
        0,
        valid=3,
        hidden=1,
        warnings=rows_of((2, "")),
    ),
    Case(
        "config-mapping-overrides-a-label",
        csv_file("export.csv", [[*FR_HEADERS, "Nom"], [*fr_row(1), "Durand"]]),
        0,
        valid=1,
        build={"columns": {"Nom": "nomUsage"}},
    ),
    Case(
        "config-mapping-matching-no-header-is-reported",
        csv_file("export.csv", fr_table(1)),
        0,
        valid=1,
        build={"columns": {"Nom de jeune fille": "nomNaissance"}},
        warnings=rows_of((1, "nomNaissance")),
        says=("matches no header of the file",),
    ),
    Case(
        "near-miss-header-did-you-mean",
        csv_file(
            "export.csv", [["nomNaisance", *FR_HEADERS[2:]], *[r[1:] for r in fr_table(1)[1:]]]
        ),
        2,
        says=("required column(s) missing: nomNaissance", "did you mean nomNaissance?"),
    ),
    Case(
        "repeated-unused-header-is-a-warning",
        csv_file("export.csv", [[*FR_HEADERS, "Remarque", "Remarque"], [*fr_row(1), "a", "b"]]),
        0,
        valid=1,
        warnings=rows_of((1, "")),
        says=("appears twice; the column is not used",),
    ),
    Case(
        "repeated-used-header-is-refused",
        csv_file("export.csv", [[*FR_HEADERS, "Prénom"], [*fr_row(1), "Anne"]]),
        2,
        says=("the header 'Prénom' appears twice",),
    ),
    Case(
        "missing-required-column-one-message",
        csv_file("export.csv", drop(fr_table(50), "Date d'obtention", "Sexe")),
        2,
        says=("required column(s) missing: dateDebutValidite, sexe.",),
    ),
    Case(
        "defaults-give-the-certification-of-a-one-certification-export",
        csv_file("export.csv", drop(fr_table(2), "Code RNCP")),
        0,
        valid=2,
        build={"defaults": {"code": "RNCP34567", "type": "RNCP"}},
    ),
    Case(
        "bad-default-is-refused",
        csv_file("export.csv", fr_table(1)),
        2,
        build={"defaults": {"obtentionCertification": "PAR_HASARD"}},
        says=("[build.defaults] obtentionCertification = 'PAR_HASARD'",),
    ),
    Case(
        "values-table-translates-local-codes",
        csv_file(
            "export.csv",
            [
                [*FR_HEADERS, "Voie d'accès"],
                [*fr_row(1), "FC"],
                [*fr_row(2), "app."],
                [*fr_row(3), "ZZ"],
            ],
        ),
        1,
        valid=2,
        rejected=rows_of((4, "modaliteAcces")),
        build={
            "values": {
                "modaliteAcces": {
                    "FC": "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
                    "APP": "FORMATION_INITIALE_APPRENTISSAGE",
                }
            }
        },
    ),
    Case(
        "values-table-for-a-local-outcome-code",
        csv_file("export.csv", [list(FR_HEADERS), fr_row(1, "ADM"), fr_row(2, "AJ")]),
        0,
        valid=1,
        skipped=1,
        build={"values": {"admis": {"ADM": "Admis", "AJ": "Ajourné"}}},
    ),
    Case(
        "xlsx-header-below-blanks-keeps-spreadsheet-row-numbers",
        xlsx_file(
            "export.xlsx",
            {"Jury": [_TITLE, [], [], *fr_table(2), fr_row(3, Sexe="Z")]},
        ),
        1,
        valid=2,
        rejected=rows_of((7, "sexe")),
        header_row=4,
    ),
    Case(
        "title-with-semicolons-above-a-comma-table",
        csv_file("export.csv", [["Export LMS; session 2024; page 1"], *fr_table(2)], delimiter=","),
        0,
        valid=2,
        header_row=2,
    ),
    Case(
        "xlsm-workbook-with-usage-name-and-second-first-name",
        xlsx_file(
            "export.xlsm",
            {
                "Jury": [
                    [*FR_HEADERS, "Nom d'usage", "Prénom 2"],
                    [*fr_row(1), "Durand", "Marie"],
                    [*fr_row(2), "", ""],
                ]
            },
        ),
        0,
        valid=2,
    ),
    Case(
        "empty-outcome-cell-is-a-row-error",
        csv_file("export.csv", [list(FR_HEADERS), fr_row(1), fr_row(2, "")]),
        1,
        valid=1,
        rejected=rows_of((3, "admis")),
    ),
    Case(
        "two-date-labels-the-more-specific-wins",
        csv_file(
            "export.csv",
            [[*FR_HEADERS, "Date de délivrance"], [*fr_row(1), "not a date"]],
        ),
        0,
        valid=1,
        warnings=rows_of((1, "dateDebutValidite")),
        says=('obtention" already gives dateDebutValidite',),
    ),
]
