"""Texts of the notifications and the status page, in French (default) and English.

The operators' language is French; the CDC's own messages are quoted as they are. The
French hints say the same as :func:`portal.messages.hint` (English), class by class.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["fr", "en"]

CLASS_LABELS: dict[Language, dict[str, str]] = {
    "fr": {
        "duplicate": "déjà en base à la CDC",
        "holder_not_found": "titulaire introuvable",
        "several_holders": "plusieurs titulaires possibles",
        "certification": "certification inconnue ou KO",
        "date": "dates incohérentes",
        "other": "autre motif",
        "file": "fichier refusé en entier",
    },
    "en": {
        "duplicate": "already held by the CDC",
        "holder_not_found": "holder not found",
        "several_holders": "several possible holders",
        "certification": "certification unknown or KO",
        "date": "inconsistent dates",
        "other": "other reason",
        "file": "whole file refused",
    },
}

HINTS_FR: dict[str, str] = {
    "duplicate": (
        "déjà accepté par la CDC lors d'un dépôt précédent : rien à faire, sauf si ce n'est "
        "pas vous qui l'avez déposé (contactez alors le support de la CDC)"
    ),
    "holder_not_found": (
        "le titulaire n'a pas été reconnu : vérifiez nom de naissance, prénom, sexe, date et "
        "commune de naissance sur la pièce d'identité, corrigez, puis redéposez"
    ),
    "several_holders": (
        "plusieurs personnes correspondent : complétez ou corrigez la date de naissance "
        "complète, la commune de naissance et les autres données d'identification"
    ),
    "certification": (
        "code de certification inconnu ou de mauvais type : vérifiez-le sur France "
        "compétences (écrire RS1710 et non 1710 ; RNCP ou RS)"
    ),
    "date": "dates incohérentes (fin de validité avant le début, dates d'examen) : corrigez-les",
    "other": (
        "lisez le message de la CDC et corrigez la ligne ; s'il n'est pas clair, écrivez à "
        "support.certificateurs@caissedesdepots.fr avec l'idTraitement et l'idTechnique"
    ),
    "file": (
        "le fichier entier a été refusé : aucun passage n'est parvenu à la CDC ; ils repartent "
        "seuls quand la cause est corrigée"
    ),
}

TEXTS: dict[Language, dict[str, str]] = {
    "fr": {
        "run_failed.title": "Échec d'une exécution de l'agent d'accrochage",
        "run_failed.body": "L'exécution du {at} a échoué. Motif :",
        "login_refused.title": "Connexion au portail CDC refusée",
        "login_refused.body": (
            "Le portail a refusé la connexion ({at}). Aucun dépôt n'est fait tant que ce n'est "
            "pas réglé : vérifiez le mot de passe puis lancez `accrochage credentials set`."
        ),
        "file_not_imported.title": "Fichier non importé : {name}",
        "file_not_imported.body": "Le fichier n'a pas pu être importé :",
        "passages_rejected.title": "{rejected} passage(s) rejeté(s) par la CDC",
        "passages_rejected.body": (
            "Le fichier {name} a été traité par la CDC : {accepted} accepté(s), "
            "{rejected} rejeté(s)."
        ),
        "passages_rejected.fix": (
            "Pour corriger : `accrochage rejects --csv corrections.csv`, corrigez le fichier "
            "et déposez-le dans la boîte d'entrée."
        ),
        "file_rejected.title": "Fichier refusé en entier : {name}",
        "file_rejected.body": "Le fichier {name} n'a pas été accepté :",
        "batch_accepted.title": "Fichier accepté par la CDC : {name}",
        "batch_accepted.body": "Le fichier {name} a été traité : {accepted} passage(s) accepté(s).",
        "deadline_digest.title": "Échéances : {overdue} en retard, {due} à moins de {days} jours",
        "deadline_digest.body": (
            "Passages pas encore acceptés par la CDC (délai légal : 3 mois après la délivrance) "
            "au {today} :"
        ),
        "deadline_digest.line": "{deadline}  {late}{id_technique}  {holder}  ({status})",
        "late": "EN RETARD ",
        "more": "... et {count} autre(s) : `accrochage status`",
        "what_to_do": "Que faire : {hint}",
        "example": "ex. {id_technique} ({holder})",
        "evidence": "Preuves : {folder}",
        "test.title": "Test de notification de l'agent d'accrochage",
        "test.body": "Ceci est un message de test envoyé par `accrochage notify test`.",
    },
    "en": {
        "run_failed.title": "An accrochage agent run failed",
        "run_failed.body": "The run of {at} failed. Reason:",
        "login_refused.title": "Login to the CDC portal refused",
        "login_refused.body": (
            "The portal refused the login ({at}). Nothing is deposited until this is fixed: "
            "check the password, then run `accrochage credentials set`."
        ),
        "file_not_imported.title": "File not imported: {name}",
        "file_not_imported.body": "The file could not be imported:",
        "passages_rejected.title": "{rejected} passage(s) rejected by the CDC",
        "passages_rejected.body": (
            "The CDC processed {name}: {accepted} accepted, {rejected} rejected."
        ),
        "passages_rejected.fix": (
            "To correct them: `accrochage rejects --csv fix.csv`, correct the file and put it "
            "in the inbox."
        ),
        "file_rejected.title": "File refused as a whole: {name}",
        "file_rejected.body": "The file {name} was not accepted:",
        "batch_accepted.title": "File accepted by the CDC: {name}",
        "batch_accepted.body": "The CDC processed {name}: {accepted} passage(s) accepted.",
        "deadline_digest.title": "Deadlines: {overdue} overdue, {due} due within {days} days",
        "deadline_digest.body": (
            "Passages not yet accepted by the CDC (legal deadline: 3 months after delivery) "
            "on {today}:"
        ),
        "deadline_digest.line": "{deadline}  {late}{id_technique}  {holder}  ({status})",
        "late": "OVERDUE ",
        "more": "... and {count} more: `accrochage status`",
        "what_to_do": "What to do: {hint}",
        "example": "e.g. {id_technique} ({holder})",
        "evidence": "Evidence: {folder}",
        "test.title": "accrochage agent test notification",
        "test.body": "This is a test message sent by `accrochage notify test`.",
    },
}


def text(language: Language, key: str, **values: object) -> str:
    """One text in ``language``, formatted with ``values``."""
    return TEXTS[language][key].format(**values)


def class_label(language: Language, klass: str | None) -> str:
    """A reject class in words."""
    return CLASS_LABELS[language].get(klass or "other", klass or "other")


def class_hint(language: Language, klass: str | None, english: str | None) -> str:
    """What to do about a reject class (the stored English hint when in English)."""
    if language == "en":
        return english or ""
    return HINTS_FR.get(klass or "other", HINTS_FR["other"])
