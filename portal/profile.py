"""The portal profile: everything the client knows about the portal's pages, in one place.

Shipped defaults match the labels the CDC documents publicly (`shared/docs/portal.md` §1.4,
§1.6) and the local replica. Any field can be overridden in the config under
``[portal.profile]`` (and ``[portal.profile.status_labels]``) without a code change; run
``accrochage portal probe`` to see which entries match the real portal.

Selectors are Playwright selectors; labels are visible texts, matched exactly after
whitespace normalisation unless a field says otherwise.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from portal.base import DepositState

DEFAULT_STATUS_LABELS: dict[str, DepositState] = {
    # Labels named by the official general guide V5 (cdc-format.md §1).
    "En cours de traitement": DepositState.PROCESSING,
    "Traitement en cours": DepositState.PROCESSING,
    "Traité avec succès": DepositState.PROCESSED,
    "Traité avec erreurs": DepositState.PROCESSED_WITH_ERRORS,
    "Traitement avec erreurs": DepositState.PROCESSED_WITH_ERRORS,
    # "Comment corriger mes fichiers rejetés": a rejected outcome exists (portal.md §1.6).
    "Rejeté": DepositState.REJECTED,
}


class PortalProfile(BaseModel):
    """Page structure of the deposit portal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Paths, relative to portal.base_url.
    login_path: str = "/espace-prive"
    # Login form (portal.md §1.3: an identifiant e-mailed at account creation + mot de passe).
    username_label: str = "Identifiant"
    password_label: str = "Mot de passe"  # noqa: S105 - a visible label, not a secret
    login_button_label: str = "Se connecter"
    otp_label: str = "Code de vérification"
    otp_button_label: str = "Valider"
    logout_label: str = "Se déconnecter"
    # Navigation (portal.md §1.4).
    deposit_tab_label: str = "Transmettre des données"
    deposit_link_label: str = "Déposer un fichier XML"
    file_input_selector: str = "input[type=file]"
    upload_button_label: str = "Déposer le fichier"
    history_link_label: str = "Historique des fichiers déposés"
    # History table (portal.md §1.6): located by its column headers.
    history_table_selector: str = "table"
    column_file_name: str = "Nom du fichier"
    column_deposited_at: str = "Date de dépôt"
    column_status: str = "Statut"
    history_empty_text: str = "Aucun fichier déposé pour le moment."
    receipt_link_label: str = "Accusé de réception"
    report_link_label: str = "Accusé de traitement"
    # Messages.
    error_message_selector: str = "[role=alert]"
    maintenance_texts: tuple[str, ...] = ("maintenance", "indisponible")
    # The end of a maintenance, as the page writes it: day/month/year then hour, minute and
    # maybe seconds ("prévue le 29/11/2026 23:40:00", "jusqu'au 29/11/2026 à 23h40"), Paris time.
    maintenance_end_pattern: str = (
        r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\D{1,6}"
        r"(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    )
    # History pages: the link to the next page (absent on the last one).
    history_next_page_label: str = "Page suivante"
    history_max_pages: int = Field(default=500, ge=1)
    status_labels: dict[str, DepositState] = Field(
        default_factory=lambda: dict(DEFAULT_STATUS_LABELS),
        description="Status label -> state. Configured labels are added to the defaults.",
    )
    keep_default_status_labels: bool = Field(
        default=True,
        description="False: use only the configured status_labels, without the defaults.",
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_status_labels(cls, data: Any) -> Any:
        """Add configured labels to the defaults (unless told not to); normalise spaces."""
        if not isinstance(data, dict) or "status_labels" not in data:
            return data
        given = data["status_labels"]
        if not isinstance(given, dict):
            return data  # let field validation report the wrong type
        keep = data.get("keep_default_status_labels", True)
        merged: dict[str, Any] = dict(DEFAULT_STATUS_LABELS) if keep is not False else {}
        merged.update({" ".join(str(label).split()): state for label, state in given.items()})
        return {**data, "status_labels": merged}

    def state_of(self, label: str) -> DepositState | None:
        """The state a status label maps to, or None when the profile does not know it."""
        return self.status_labels.get(" ".join(label.split()))

    def row_state(self, label: str) -> DepositState:
        """The state of a history row: ``DepositState.UNKNOWN`` for a label not mapped."""
        return self.state_of(label) or DepositState.UNKNOWN
