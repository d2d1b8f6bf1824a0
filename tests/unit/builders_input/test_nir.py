"""NIR: 13 characters for the XSD; a 15-character NIR only with its right key, then stripped."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.cdc.nir import nir_key, normalize_nir


def test_nir_key_known_values() -> None:
    """Keys of published examples, Corsica counted as 19 (2A) and 18 (2B)."""
    assert nir_key("2690549588157") == 80
    assert nir_key("1850578006084") == 91
    assert nir_key("185052A006084") == nir_key("1850519006084")
    assert nir_key("185052B006084") == nir_key("1850518006084")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2690549588157", "2690549588157"),
        ("2 69 05 49 588 157 80", "2690549588157"),
        ("269054958815780", "2690549588157"),
        ("2.69.05.49.588.157-80", "2690549588157"),
        ("185052a006084", "185052A006084"),
    ],
)
def test_normalize_nir_accepts(raw: str, expected: str) -> None:
    """13 characters pass; 15 with the right key are stripped; separators are ignored."""
    assert normalize_nir(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("269054958815781", "key 81 is wrong"),
        ("369054958815780", "starting with 1 or 2"),
        ("26905495881", "13 characters"),
        ("2690549588157801", "13 characters"),
        ("26905X9588157", "13 characters"),
    ],
)
def test_normalize_nir_rejects(raw: str, message: str) -> None:
    """A wrong key, a wrong length or a wrong first digit is refused with a reason."""
    with pytest.raises(ValueError, match=message):
        normalize_nir(raw)


nirs = st.builds(
    lambda sex, middle, dept, tail: f"{sex}{middle}{dept}{tail}",
    st.sampled_from("12"),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{2}|2[AB]", fullmatch=True),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nirs)
def test_normalize_nir_key_round_trip(nir13: str) -> None:
    """Any 13-character NIR with its computed key normalises back; any other key is refused."""
    key = nir_key(nir13)
    assert 1 <= key <= 97
    assert normalize_nir(f"{nir13}{key:02d}") == nir13
    wrong = (key % 97) + 1
    with pytest.raises(ValueError, match="wrong"):
        normalize_nir(f"{nir13}{wrong:02d}")
