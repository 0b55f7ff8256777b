"""The CloudEvents 1.0 envelope every message on the wire is wrapped in.

Follows the NL GOV profile for CloudEvents: `source` is a URN, `type` is reverse-DNS with one
version suffix, `subject` is the (pseudonymous) case id. Context attributes never carry personal data.
"""

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.ids import CaseId

SOURCE_PREFIX = "urn:nld:warmeoverdracht"
TYPE_PREFIX = "nl.warmeoverdracht"
# Fixed namespace so that derived ids are the same on every machine and in every replay.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d7a52-9a43-4c1e-8d0b-6a3a1f0e2c55")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 structured-mode JSON envelope (strict: unknown attributes are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    source: str = Field(pattern=r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", max_length=200)
    type: str = Field(pattern=r"^nl\.warmeoverdracht\.[A-Za-z0-9]+\.v[0-9]+$")
    subject: CaseId
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    # CloudEvents extension attribute: the id of the event that caused this one.
    causationid: str | None = Field(default=None, max_length=128)

    @property
    def idempotency_key(self) -> str:
        """The key under which this event is stored once (JetStream's Nats-Msg-Id) and from which the
        ids of the events it causes derive. A partner's id counts only within its own organisation,
        so it is prefixed with the `source`: two partners may use the same id, and no partner's id
        can ever equal the key of an event our services derive (a bare uuid of their own)."""
        return f"{self.source}|{self.id}" if self.reported else self.id

    @property
    def reported(self) -> bool:
        """A partner organisation reported it (any source but one of our services)."""
        return not self.source.startswith(f"{SOURCE_PREFIX}:service:")

    @property
    def event_type(self) -> str:
        """'ApplicationFiled' for type 'nl.warmeoverdracht.ApplicationFiled.v1'."""
        return self.type.split(".")[2]

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])


def type_name(event_type: str, version: int) -> str:
    return f"{TYPE_PREFIX}.{event_type}.v{version}"


def org_source(org: str) -> str:
    """The `source` of an event a partner organisation reports: urn:nld:warmeoverdracht:org:<org>."""
    return f"{SOURCE_PREFIX}:org:{org}"


def service_source(service: str) -> str:
    """The `source` of an event one of our services derives."""
    return f"{SOURCE_PREFIX}:service:{service}"


def derived_event_id(cause_id: str, rule: str) -> str:
    """Deterministic id of an event that `rule` derives from event `cause_id`.

    Reprocessing the cause after a crash yields the same id, which JetStream's duplicate
    window and our handlers recognise: never a second task.
    """
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{cause_id}/{rule}"))


def new_event_id() -> str:
    return str(uuid.uuid4())
