"""The shared hypothesis strategy yields records the models accept, for both schemas."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.cdc.models import PassageRecord

from .strategies import passage_records


@pytest.mark.parametrize("version", ["1.1.5", "1.1.2"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_passage_records_revalidate(version: str, data: st.DataObject) -> None:
    """Every generated record survives a dump and re-validation under its schema version."""
    record = data.draw(passage_records(version))
    again = PassageRecord.model_validate(record.model_dump(), context={"schema_version": version})
    assert again == record
    if version == "1.1.2":
        assert record.passage.identificationTitulaire.identifiantNational is None
