"""Ranking the page's items against a profile entry the probe did not find."""

from __future__ import annotations

from portal.probe_hints import closest, paste_line

ITEMS = [
    ("label", "Identifiant"),
    ("label", "Mot de passe"),
    ("button", "Se connecter"),
    ("link", "Mot de passe oublié ?"),
    ("column", "Statut"),
    ("selector", 'input[type=file][name="fichier"]'),
]


def test_closest_keeps_kinds_that_can_stand_for_the_entry() -> None:
    """A field's label is looked for among labels only, best first."""
    found = closest("password_label", "Mot de passe actuel", ITEMS)
    assert [c.text for c in found] == ["Mot de passe", "Identifiant"]
    assert found[0].kind == "label"
    assert found[0].ratio > found[1].ratio


def test_paste_line_only_for_a_close_enough_candidate() -> None:
    """A far candidate is shown but not offered as the line to paste; selectors always are."""
    assert paste_line("login_button_label", closest("login_button_label", "Connexion", ITEMS)) == (
        'login_button_label = "Se connecter"'
    )
    assert paste_line("column_status", closest("column_status", "Avancement", ITEMS)) is None
    selector = closest("file_input_selector", "input#upload", ITEMS)
    assert paste_line("file_input_selector", selector) == (
        'file_input_selector = "input[type=file][name=\\"fichier\\"]"'
    )


def test_closest_ignores_the_value_itself_and_unknown_entries() -> None:
    """An item equal to the value is not a suggestion; status labels get none."""
    assert closest("username_label", "Identifiant", ITEMS)[0].text == "Mot de passe"
    assert closest("status_labels", "Rejeté", ITEMS) == ()
