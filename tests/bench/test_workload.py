"""The benchmark's stored events are what the services store: valid, with personal fields sealed."""

import json

from bench.workload import CaseFactory, case_id
from contracts.events import data_of
from services.runtime.eventstore import decode
from services.runtime.privacy import KEYRING, KEYS_SUBJECT_PREFIX, CaseKey, is_sealed


def test_cloned_cases_are_the_played_case_with_their_own_ids_and_sealed_birth_dates() -> None:
    factory = CaseFactory()
    first = [factory.event(1, position) for position in range(factory.per_case)]
    second = [factory.event(2, position) for position in range(factory.per_case)]
    assert all(case_id(1) in subject for subject, _ in first)
    assert {json.loads(body)["id"] for _, body in first}.isdisjoint(json.loads(body)["id"] for _, body in second)

    (key_subject, key_json), = factory.keys([1])
    assert key_subject == f"{KEYS_SUBJECT_PREFIX}{case_id(1)}"
    KEYRING.remember(case_id(1), CaseKey.from_json(key_json))
    try:
        events = [decode(body) for _, body in first]
    finally:
        KEYRING.forget(case_id(1))
    permit = next(e for e in events if e.event_type == "ResidencePermitGranted")
    stored_permit = json.loads(next(body for _, body in first if b"ResidencePermitGranted" in body))
    assert is_sealed(stored_permit["data"]["date_of_birth"])  # as the event store holds it
    assert str(data_of(permit).date_of_birth) == "2010-05-17"  # and opened with the case's key
    assert [data_of(e) is not None for e in events] == [True] * factory.per_case


def test_interleaving_spreads_each_case_over_the_stream_and_keeps_its_order() -> None:
    factory = CaseFactory()
    stream = list(factory.interleaved(3, window=2))
    assert len(stream) == 3 * factory.per_case
    for case in range(3):
        mine = [subject for subject, _ in stream if case_id(case) in subject]  # bodies differ: a fresh nonce per seal
        assert mine == [factory.event(case, position)[0] for position in range(factory.per_case)]
    assert case_id(1) in stream[1][0]  # the second message is the second case's first event
