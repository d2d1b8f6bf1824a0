"""Field-level violations (lengths, ranges, enumerations, dates) are rejected at the right field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.cdc.models import PassageRecord

from .strategies import text
from .test_rules import P, T, _rejected_fields, _with

D = "declaration"
C = "certification"
M = f"{P}.modalitesInscription"

#: field -> (dotted path, maximum length) for strings with a maximum length.
MAX_LENGTHS = {
    "idContrat": (f"{D}.idContrat", 20),
    "code": (f"{C}.code", 100),
    "idTechnique": (f"{P}.idTechnique", 255),
    "urlPreuve": (f"{P}.urlPreuve", 255),
    "libelleOption": (f"{P}.libelleOption", 255),
    "codePostalCentreExamen": (f"{P}.codePostalCentreExamen", 9),
    "scoring": (f"{P}.scoring", 255),
    "verbatim": (f"{P}.verbatim", 255),
    "nomNaissance": (f"{T}.nomNaissance", 60),
    "nomUsage": (f"{T}.nomUsage", 60),
    "prenom1": (f"{T}.prenom1", 60),
    "prenom2": (f"{T}.prenom2", 60),
    "libelleCommuneNaissance": (f"{T}.libelleCommuneNaissance", 60),
    "libellePaysNaissance": (f"{T}.libellePaysNaissance", 60),
    "commentairesMEN": (f"{T}.commentairesMEN", 250),
}
#: field -> (dotted path, exact length).
EXACT_LENGTHS = {
    "idClientEmetteur": (f"{D}.idClientEmetteur", 8),
    "idClientCertificateur": (f"{D}.idClientCertificateur", 8),
    "codeInsee": (f"{T}.codeInsee", 5),
}
#: field -> (dotted path, minimum, maximum).
RANGES = {
    "anneeNaissance": (f"{T}.anneeNaissance", 1900, 2099),
    "moisNaissance": (f"{T}.moisNaissance", 1, 12),
    "jourNaissance": (f"{T}.jourNaissance", 1, 31),
}
#: field -> dotted path, for enumerations.
ENUMS = {
    "natureDeposant": f"{C}.natureDeposant",
    "obtentionCertification": f"{P}.obtentionCertification",
    "modalitePassageExamen": f"{P}.modalitePassageExamen",
    "mentionValidee": f"{P}.mentionValidee",
    "modaliteAcces": f"{M}.modaliteAcces",
    "initiativeInscription": f"{M}.initiativeInscription",
    "sexe": f"{T}.sexe",
}
#: field -> dotted path, for dates.
DATES = {
    "dateDebutValidite": f"{P}.dateDebutValidite",
    "dateDebutExamen": f"{P}.dateDebutExamen",
    "dateInscription": f"{M}.dateInscription",
}


@st.composite
def too_long(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A string one or more characters over its field's maximum."""
    field = draw(st.sampled_from(sorted(MAX_LENGTHS)))
    path, limit = MAX_LENGTHS[field]
    return field, path, draw(text(limit + 1, limit + 20))


@st.composite
def wrong_length(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A string shorter or longer than its field's exact length."""
    field = draw(st.sampled_from(sorted(EXACT_LENGTHS)))
    path, size = EXACT_LENGTHS[field]
    value = draw(text(1, size + 5).filter(lambda value: len(value) != size))
    return field, path, value


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[str, str, Any]:
    """An integer below or above its field's range."""
    field = draw(st.sampled_from(sorted(RANGES)))
    path, low, high = RANGES[field]
    return field, path, draw(st.integers(max_value=low - 1) | st.integers(min_value=high + 1))


@st.composite
def bad_enum(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A value outside the field's enumeration."""
    field = draw(st.sampled_from(sorted(ENUMS)))
    value = draw(text(1, 30).filter(lambda value: not value.isupper()))
    return field, ENUMS[field], value


@st.composite
def bad_date(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A date outside the XSD's years 1900-2099."""
    field = draw(st.sampled_from(sorted(DATES)))
    date = draw(st.dates(max_value=dt.date(1899, 12, 31)) | st.dates(min_value=dt.date(2100, 1, 1)))
    return field, DATES[field], date


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(too_long(), wrong_length(), out_of_range(), bad_enum(), bad_date()))
def test_models_reject_field_violation(violation: tuple[str, str, Any]) -> None:
    """Each violation is rejected and the error names the violated CDC field."""
    field, path, value = violation
    assert field in _rejected_fields(_with({path: value})), (field, value)


def test_models_accept_boundaries() -> None:
    """Values exactly at the limits are accepted."""
    data = _with(
        {
            f"{P}.idTechnique": "x" * 255,
            f"{T}.nomNaissance": "N" * 60,
            f"{T}.anneeNaissance": 2099,
            f"{T}.moisNaissance": 12,
            f"{T}.jourNaissance": 31,
            f"{P}.dateDebutValidite": dt.date(1900, 1, 1),
        }
    )
    record = PassageRecord.model_validate(data)
    assert record.passage.idTechnique == "x" * 255
