"""Every visible text of the replica's pages, in one place.

The labels the agent's client relies on are the defaults of :class:`portal.profile.PortalProfile`
(tests check that every label below that the client reads is known to the profile). Everything
else is wording for the person using the replica.
"""

from __future__ import annotations

from enum import StrEnum

PORTAL_NAME = "Portail des Responsables de Diplômes et Certifications"
SANDBOX_NOTICE = (
    "Réplique locale (bac à sable) : aucune donnée n'est transmise à la Caisse des Dépôts."
)

# Paths (the login path is the client's default ``login_path``).
LOGIN_PATH = "/espace-prive"

# Login and second step.
LOGIN_TITLE = "Connexion à l'espace privé"
USERNAME = "Identifiant"
PASSWORD = "Mot de passe"  # noqa: S105 - a visible label, not a secret
LOGIN_BUTTON = "Se connecter"
OTP_TITLE = "Vérification en deux étapes"
OTP_LABEL = "Code de vérification"
OTP_BUTTON = "Valider"
OTP_HELP = "Un code de vérification à 6 chiffres vous a été envoyé. Saisissez-le ci-dessous."
LOGOUT = "Se déconnecter"

# Navigation.
HOME_TAB = "Accueil"
DEPOSIT_TAB = "Transmettre des données"
DEPOSIT_LINK = "Déposer un fichier XML"
HISTORY_LINK = "Historique des fichiers déposés"
UNIT_ENTRY = "Saisie unitaire d'un titulaire"

# Deposit form.
FILE_INPUT = "Fichier XML à déposer"
UPLOAD_BUTTON = "Déposer le fichier"
CONFIRMATION_TITLE = "Fichier déposé"

# History table.
COLUMN_FILE_NAME = "Nom du fichier"
COLUMN_DEPOSITED_AT = "Date de dépôt"
COLUMN_SIZE = "Taille"
COLUMN_STATUS = "Statut"
COLUMN_DOCUMENTS = "Documents"
RECEIPT_LINK = "Accusé de réception"
REPORT_LINK = "Accusé de traitement"
HISTORY_EMPTY = "Aucun fichier déposé pour le moment."
NEXT_PAGE = "Page suivante"
PREVIOUS_PAGE = "Page précédente"
PAGE_OF = "Page {page} sur {pages}"

# Messages (errors are rendered in an element with role="alert").
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
ACCOUNT_LOCKED = (
    "Compte verrouillé après {attempts} tentatives infructueuses. "
    "Réessayez dans {minutes} minute(s)."
)
BAD_OTP = "Code de vérification incorrect ou expiré."
SESSION_EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."
LOGGED_OUT = "Vous êtes déconnecté."
FORM_REFUSED_TITLE = "Formulaire refusé"
CSRF_REFUSED = "Formulaire expiré ou invalide. Rechargez la page et recommencez."
NO_FILE = "Aucun fichier sélectionné. Choisissez un fichier XML à déposer."
NOT_XML = "Le fichier « {name} » n'a pas l'extension .xml : seuls les fichiers XML sont acceptés."
TOO_LARGE = "Le fichier dépasse la taille maximale autorisée ({limit})."
MAINTENANCE_TITLE = "Portail en maintenance"
MAINTENANCE_TEXT = (
    "Le portail est actuellement en maintenance et temporairement indisponible. "
    "Veuillez réessayer plus tard."
)
SERVER_ERROR_TITLE = "Erreur technique"
SERVER_ERROR_TEXT = "Une erreur technique est survenue. Veuillez réessayer plus tard."
NOT_FOUND_TITLE = "Page introuvable"


class Status(StrEnum):
    """Status labels of the history table (cdc-format.md §1, portal.md §1.6).

    In the replica, REJECTED means the accusé de réception is KO: the file could not be read as
    a CDC flux (empty, not well-formed XML, or another root element than ``cpf:flux``), so it
    never enters processing and has no accusé de traitement. PROCESSED_WITH_ERRORS means the
    file was received (AR OK) and then failed the XML/XSD control (report with ``erreurs``) or
    had at least one passage KO.
    """

    PROCESSING = "En cours de traitement"
    PROCESSED = "Traité avec succès"
    PROCESSED_WITH_ERRORS = "Traité avec erreurs"
    REJECTED = "Rejeté"


# Labels a test (or an operator rehearsing a changed portal) may replace at runtime, through
# the ``labels`` fault: the texts the client's portal profile looks for, plus status names.
OVERRIDABLE = frozenset(
    {
        "USERNAME",
        "PASSWORD",
        "LOGIN_BUTTON",
        "OTP_LABEL",
        "OTP_BUTTON",
        "LOGOUT",
        "DEPOSIT_TAB",
        "DEPOSIT_LINK",
        "HISTORY_LINK",
        "UPLOAD_BUTTON",
        "FILE_INPUT",
        "COLUMN_FILE_NAME",
        "COLUMN_DEPOSITED_AT",
        "COLUMN_STATUS",
        "RECEIPT_LINK",
        "REPORT_LINK",
        "NEXT_PAGE",
    }
    | {status.name for status in Status}
)


class LabelSet:
    """This module's labels with some replaced (``overrides`` keys are in OVERRIDABLE)."""

    def __init__(self, overrides: dict[str, str]) -> None:
        self._overrides = overrides

    def __getattr__(self, name: str) -> str:
        if name in self._overrides:
            return self._overrides[name]
        value = globals().get(name)
        if isinstance(value, str):
            return value
        raise AttributeError(name)

    def status(self, status: Status) -> str:
        """The text shown for a status."""
        return self._overrides.get(status.name, status.value)


def human_size(size: int) -> str:
    """A byte count the French way (``1,5 Mo``).

    Args:
        size: Number of bytes.

    Returns:
        The size with a French unit.
    """
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} Ko".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
