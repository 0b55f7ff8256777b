"""Why a case was parked, as operators read it (services/runtime/parking.py)."""

import pytest
from pydantic import ValidationError

from contracts.events import ApplicationFiled
from services.runtime.parking import reason_of


def test_a_parked_case_s_reason_names_fields_and_errors_never_the_value():
    with pytest.raises(ValidationError) as failed:
        ApplicationFiled.model_validate({"filed_on": "not-a-date-BSN123456782"})
    reason = reason_of(failed.value)
    assert reason == "ValidationError: ApplicationFiled: filed_on date_from_datetime_parsing"
    assert "123456782" not in reason
    assert reason_of(ValueError("year 10000 is out of range")) == "ValueError: year 10000 is out of range"
