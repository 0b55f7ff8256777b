"""The Decider shape (services/runtime/decider.py): what it refuses to declare, and what the
runtime derives from a declaration."""

from datetime import date

import pytest

from contracts.events import ResidencePermitGranted, Turned18
from contracts.inbox import Rejection
from services.guardianship.decider import decider as guardianship
from services.housing.decider import decider as housing
from services.intake.decider import decider as intake
from services.notify.decider import decider as notify
from services.bootstrap import consumers as bootstrap_consumers
from services.runtime import provision
from services.runtime.decider import Decider, UndeclaredEvent
from tests.support.domain import reported

DECIDERS = (intake, guardianship, housing, notify)


def tiny(**declared) -> Decider:
    return Decider(
        service="intake", initial=lambda case_id: [], evolve=lambda state, event: [*state, event.event_type],
        decide=lambda state, report, directory: [], on_day=lambda state, day, directory: [], **declared,
    )


def permit():
    event = ResidencePermitGranted(date_of_birth=date(2010, 5, 17), municipality="GM0855", permit_date=date(2026, 1, 10))
    return reported("nidos", event, "case-d0001").envelope


def test_a_decider_names_only_event_types_the_contracts_know():
    with pytest.raises(ValueError, match="unknown event types"):
        tiny(folds=frozenset({"PermitGranted"}))


def test_a_decider_cannot_react_to_what_it_does_not_fold():
    with pytest.raises(ValueError, match="without folding"):
        tiny(reactions={"ParentsArrived": lambda state, event, directory: []})


def test_fold_reads_only_what_is_declared_so_a_whole_store_replays_like_the_filtered_read_model():
    reads_permits = tiny(folds=frozenset({"ResidencePermitGranted"}))
    reads_nothing = tiny()
    assert reads_permits.replay("case-d0001", [permit()]) == ["ResidencePermitGranted"]
    assert reads_nothing.replay("case-d0001", [permit()]) == []


def test_a_decision_with_an_undeclared_event_type_is_a_programming_error():
    declares_permits = tiny(emits=frozenset({"ResidencePermitGranted"}))
    assert declares_permits.checked([permit()]) == [permit()]
    with pytest.raises(UndeclaredEvent, match="Turned18"):
        declares_permits.checked([reported("nidos", Turned18(birthday=date(2028, 5, 17)), "case-d0001").envelope])
    refusal = Rejection("out-of-order", "no")
    assert declares_permits.checked(refusal) is refusal


@pytest.mark.parametrize("decider", DECIDERS, ids=lambda d: d.service)
def test_the_read_model_consumes_one_filter_per_type_it_reads(decider):
    filters = decider.read_filters()
    assert len(filters) == len(set(filters)) == len(decider.reads)
    assert all(f.startswith("amv.events.*.*.") for f in filters)
    assert decider.emits <= decider.reads  # its own events give the version an append is checked against


@pytest.mark.parametrize("decider", DECIDERS, ids=lambda d: d.service)
def test_the_consumers_are_those_the_decider_declares(decider):
    durables = {spec.durable: spec for spec in bootstrap_consumers() if spec.service == decider.service}
    if decider.reactions:
        assert durables[f"{decider.service}-reactions"].filter_subjects == decider.reaction_filters()
    else:
        assert f"{decider.service}-reactions" not in durables
    if decider.reports:
        assert durables[f"{decider.service}-inbox"].filter_subjects == decider.inbox_filters()

