"""The pure parts of crypto-shredding: sealing and opening personal fields with a case key, how an
erased field reads, that events without personal fields never touch a key, and that the
guardianship rules keep working on an erased case (its birthday rules simply do not fire)."""

import json
from datetime import UTC, date, datetime

import pytest

from contracts.envelope import CloudEvent
from contracts.events import (
    ApplicationFiled,
    GuardianAssigned,
    ParentsArrived,
    ResidencePermitGranted,
    data_of,
    report,
)
from services.guardianship import rules, state
from services.runtime.eventstore import decode, encode
from services.runtime.privacy import (
    PERSONAL_FIELDS,
    SEALED,
    CaseKey,
    CaseKeyNotLoaded,
    CaseKeyring,
    KeysUnavailable,
    is_sealed,
    open_sealed,
    seal,
)
from tests.support.domain import Story, types_of

WHEN = datetime(2026, 1, 10, 9, tzinfo=UTC)
DATE_OF_BIRTH = date(2010, 5, 17)
PERMIT_TYPE = ResidencePermitGranted.type_name()


def permit_envelope(case_id: str = "case-privacy1", event_id: str = "e-permit") -> CloudEvent:
    permit = ResidencePermitGranted(date_of_birth=DATE_OF_BIRTH, municipality="GM0855", permit_date=date(2026, 1, 10))
    return report(permit, case_id, "nidos", event_id, WHEN)


def test_only_the_date_of_birth_is_sealed() -> None:
    assert PERSONAL_FIELDS == {PERMIT_TYPE: ("date_of_birth",)}


def test_a_sealed_field_holds_no_clear_value_and_opens_with_the_case_key() -> None:
    key, event = CaseKey.new(), permit_envelope()
    sealed = seal(event, PERSONAL_FIELDS[PERMIT_TYPE], key)
    stored = sealed.model_dump_json()
    assert "2010-05-17" not in stored and "2010" not in stored
    assert is_sealed(sealed.data["date_of_birth"]) and sealed.data["date_of_birth"][SEALED].startswith(f"A256GCM.{key.kid}.")
    assert (sealed.data["municipality"], sealed.data["permit_date"]) == ("GM0855", "2026-01-10")  # the rest in clear
    assert sealed.model_dump(exclude={"data"}) == event.model_dump(exclude={"data"})  # the envelope untouched
    opened = open_sealed(sealed, PERSONAL_FIELDS[PERMIT_TYPE], key)
    assert opened == event and data_of(opened).date_of_birth == DATE_OF_BIRTH


def test_sealing_the_same_value_twice_gives_different_bytes() -> None:
    key, event = CaseKey.new(), permit_envelope()
    first, second = (seal(event, ("date_of_birth",), key).data["date_of_birth"] for _ in range(2))
    assert first != second  # a fresh nonce each time: equal dates of birth are not recognisable


@pytest.mark.parametrize("how", ["no key", "another key", "another case", "another event", "tampered"])
def test_a_sealed_field_that_cannot_be_opened_reads_as_erased(how) -> None:
    key, event = CaseKey.new(), permit_envelope()
    sealed = seal(event, ("date_of_birth",), key)
    if how == "no key":
        opened = open_sealed(sealed, ("date_of_birth",), None, erased=True)
    elif how == "another key":
        opened = open_sealed(sealed, ("date_of_birth",), CaseKey(key.kid, CaseKey.new().secret))
    elif how == "another case":
        opened = open_sealed(sealed.model_copy(update={"subject": "case-privacy2"}), ("date_of_birth",), key)
    elif how == "another event":
        opened = open_sealed(sealed.model_copy(update={"id": "e-other"}), ("date_of_birth",), key)
    else:
        algorithm, kid, nonce, ciphertext = sealed.data["date_of_birth"][SEALED].split(".")
        flipped = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
        data = {**sealed.data, "date_of_birth": {SEALED: f"{algorithm}.{kid}.{nonce}.{flipped}"}}
        opened = open_sealed(sealed.model_copy(update={"data": data}), ("date_of_birth",), key)
    assert opened.data["date_of_birth"] is None
    assert data_of(opened).date_of_birth is None and data_of(opened).municipality == "GM0855"


def test_a_value_stored_in_clear_before_encryption_stays_readable_until_the_case_is_erased() -> None:
    event = permit_envelope()
    assert open_sealed(event, ("date_of_birth",), None, erased=False).data["date_of_birth"] == "2010-05-17"
    assert open_sealed(event, ("date_of_birth",), None, erased=True).data["date_of_birth"] is None


def test_the_key_is_kept_as_a_json_web_key() -> None:
    key = CaseKey.new()
    jwk = json.loads(key.to_json())
    assert (jwk["kty"], jwk["alg"], jwk["kid"]) == ("oct", "A256GCM", key.kid) and len(key.secret) == 32
    assert CaseKey.from_json(key.to_json()) == key
    with pytest.raises(KeysUnavailable):
        CaseKey.from_json(json.dumps({**jwk, "alg": "A128GCM"}).encode())
    with pytest.raises(KeysUnavailable):
        CaseKey.from_json(json.dumps({**jwk, "k": "c2hvcnQ"}).encode())


def test_the_keyring_seals_and_opens_with_the_cached_key_and_reads_an_erased_case_as_none() -> None:
    keyring, key, event = CaseKeyring(), CaseKey.new(), permit_envelope()
    with pytest.raises(CaseKeyNotLoaded):
        keyring.seal_event(event)
    keyring.remember(event.subject, key, revision=1)
    sealed = keyring.seal_event(event)
    assert keyring.open_event(sealed) == event
    keyring.remember(event.subject, None, erased=True)
    assert keyring.open_event(sealed).data["date_of_birth"] is None
    with pytest.raises(KeysUnavailable):
        keyring.seal_event(event)  # nothing personal is written without a key
    keyring.forget(event.subject)
    with pytest.raises(CaseKeyNotLoaded):
        keyring.open_event(sealed)


def test_events_without_personal_fields_are_stored_and_read_without_any_key() -> None:
    filed = report(ApplicationFiled(filed_on=date(2026, 2, 2)), "case-neverloaded", "nidos", "e-filed", WHEN)
    body = encode(filed)  # no key of this case was ever loaded: no crypto, no lookup
    assert body == filed.model_dump_json(exclude_none=True).encode()
    assert decode(body) == filed


def test_decoding_a_personal_event_before_its_case_key_is_loaded_says_so() -> None:
    key, event = CaseKey.new(), permit_envelope("case-notloaded1")
    body = seal(event, ("date_of_birth",), key).model_dump_json().encode()
    with pytest.raises(CaseKeyNotLoaded) as missing:
        decode(body)
    assert missing.value.case_id == "case-notloaded1"


def erased_permit_story(erased: bool) -> Story:
    story = Story(state, rules, "case-erased1")
    permit = permit_envelope("case-erased1")
    if erased:
        permit = permit.model_copy(update={"data": {**permit.data, "date_of_birth": None}})
    story.store([permit])
    story.report("nidos", GuardianAssigned(since=date(2026, 1, 10)))
    story.fact("coa", ParentsArrived(arrival_date=date(2026, 6, 1), municipality="GM0855"))
    return story


def test_on_an_erased_case_the_birthday_rules_do_not_fire_and_nothing_crashes() -> None:
    kept = erased_permit_story(erased=False).days(date(2027, 11, 16), date(2028, 5, 18))
    assert {"HandoffRequested", "Turned18"} <= set(types_of(kept))  # the same story with its date of birth

    story = erased_permit_story(erased=True)
    assert story.case.exists and story.case.birthday_18 is None
    assert story.days(date(2027, 11, 16), date(2028, 5, 18)) == []
    assert story.case.young_persons_municipality == "GM0855"  # what is not personal still counts
