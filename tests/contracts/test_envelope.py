import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts import subjects
from contracts.envelope import CloudEvent, derived_event_id
from contracts.events import ApplicationFiled, derive


def test_derived_ids_are_deterministic_and_differ_per_rule() -> None:
    cause = str(uuid.uuid4())
    assert derived_event_id(cause, "rule-a") == derived_event_id(cause, "rule-a")
    assert derived_event_id(cause, "rule-a") != derived_event_id(cause, "rule-b")


def test_a_derived_event_carries_its_cause_and_its_time() -> None:
    cause = CloudEvent(
        id="cause-1",
        source="urn:nld:warmeoverdracht:org:nidos",
        type="nl.warmeoverdracht.ApplicationFiled.v1",
        subject="case-abc123",
        time=datetime(2026, 3, 1, 9, tzinfo=UTC),
        data={"filed_on": "2026-03-01"},
    )
    event = derive(ApplicationFiled(filed_on="2026-03-01"), cause, "some-rule", "intake")
    assert event.causationid == "cause-1"
    assert event.time == cause.time
    assert event.source == "urn:nld:warmeoverdracht:service:intake"
    assert event.event_type == "ApplicationFiled"
    assert event.version == 1
    assert event == derive(ApplicationFiled(filed_on="2026-03-01"), cause, "some-rule", "intake")


@pytest.mark.parametrize("case_id", ["123456789", "12-34-56-78", "Case-ABC", "case.abc", "abc"])
def test_case_ids_must_be_pseudonymous_subject_tokens(case_id: str) -> None:
    with pytest.raises(ValidationError):
        CloudEvent(
            id="x",
            source="urn:nld:warmeoverdracht:org:nidos",
            type="nl.warmeoverdracht.ApplicationFiled.v1",
            subject=case_id,
            time=datetime.now(UTC),
            data={},
        )


def test_subject_helpers() -> None:
    assert subjects.inbox("nidos", "ApplicationFiled") == "amv.inbox.nidos.ApplicationFiled"
    assert subjects.event("intake", "case-1", "ApplicationFiled") == "amv.events.intake.case-1.ApplicationFiled"
    assert subjects.rejected("nidos", "X") == "amv.rejected.nidos.X"
    assert subjects.tasks("gm0855", "TaskOpened") == "amv.tasks.gm0855.TaskOpened"
    assert subjects.CLOCK_DAY == "amv.clock.day"
    assert subjects.parse_inbox("amv.inbox.nidos.ApplicationFiled") == ("nidos", "ApplicationFiled")
    assert subjects.parse_inbox("amv.inbox.nidos") is None
    assert subjects.parse_event("amv.events.intake.case-1.X") == ("intake", "case-1", "X")
