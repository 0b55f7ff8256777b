"""The AsyncAPI 3.0 document of every subject, built from the models (`make contracts` writes it to
contracts/asyncapi.yaml).

Why not FastStream's generator: our consumers are nats-py pull consumers (services/runtime), not
FastStream subscribers, so it would document a broker that does not exist; and what it produces
for NATS does not validate as AsyncAPI 3.0 (channel keys with spaces, message keys with ':',
`subject` in a NATS channel binding, no parameters for `{org}`), has no message headers (the
rejection headers are half the contract) and no place for who may publish. The payload schemas
here are pydantic's JSON Schema of the very models the inbox gate validates with.
"""

import copy
from typing import Any

from contracts import subjects
from contracts.envelope import CloudEvent
from contracts.events import EVENT_TYPES, TASK_CHANGES, DomainEvent
from contracts.examples import example_of, reportable_types
from contracts.ids import ORGANISATION_KINDS
from contracts.inbox import MAX_MESSAGE_BYTES, REJECTION_CODES
from contracts.versions import all_models, accepted_until

ASYNCAPI_VERSION = "3.0.0"
# The version of the whole contract (docs/versioning.md): the minor goes up when an event type or version is
# added, the major when a version stops being accepted. 1.1.0: HousingAssigned v2. 1.2.0: plausible ranges of
# dates (out-of-range), too-deep, personal-data in free text, a too-large report is not copied back. 1.3.0: a
# notice of every change of a task to its owner and requester (Task…Notice), HandoffOverdue, the escalation chain.
DOCUMENT_VERSION = "1.3.0"
SCHEMA_REF = "#/components/schemas/{model}"

# The headers of a rejection (services/runtime/rejections.py writes them; a test keeps both equal).
REJECTION_HEADERS = {
    "Wo-Error-Code": "Machine-readable code, one of the enum (docs/partners.md explains each).",
    "Wo-Error-Field": "The field concerned: 'data.permit_date', 'source', 'type', 'subject' or '(message)'.",
    "Wo-Error-Reason": "A human reason naming the field, e.g. \"field 'data.permit_date' is required\".",
    "Wo-Original-Subject": "The inbox subject the report was published to.",
    "Wo-Original-Sequence": "Its sequence number in the AMV_INBOX stream.",
    "Wo-Original-Bytes": "The size of the refused message in bytes (the body is empty when it was too large).",
    "Wo-Rejected-By": "The service that refused it (intake, guardianship, housing, notify).",
}
RESUBMITTED_FROM = "Wo-Resubmitted-From"  # on an inbox message an operator re-submitted: the rejection's sequence


def key(event_type: str, version: int) -> str:
    """Component key of an event version: 'HousingAssigned_v2' (AsyncAPI keys take no dots in channels)."""
    return f"{event_type}_v{version}"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _data_schema(cls: type[DomainEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = cls.model_json_schema(ref_template=SCHEMA_REF)
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are called {name}")
    schema["title"] = key(cls.event_type, cls.version)
    return schema


def _envelope_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    schema = copy.deepcopy(CloudEvent.model_json_schema())
    schema["title"] = f"{key(cls.event_type, cls.version)} CloudEvent"
    schema["properties"]["type"] = {"const": cls.type_name(), "type": "string", "description": "The event type and version."}
    schema["properties"]["data"] = {"$ref": SCHEMA_REF.format(model=key(cls.event_type, cls.version))}
    schema["properties"]["subject"]["description"] = "The pseudonymous case id: never a BSN, V-nummer or name."
    schema["properties"]["source"]["description"] = "urn:nld:warmeoverdracht:org:<org> of a partner (the <org> of the subject), or :service:<name>."
    schema["properties"]["id"]["description"] = "Unique per report; re-sending the same id is harmless (idempotent)."
    return schema


def _message(cls: type[DomainEvent]) -> dict[str, Any]:
    reporters = sorted(cls.reporters)
    message: dict[str, Any] = {
        "name": key(cls.event_type, cls.version),
        "title": f"{cls.event_type} v{cls.version}",
        "summary": _first_line(cls.__doc__),
        "description": (cls.__doc__ or "").strip(),
        "contentType": "application/json",
        "headers": _header_schema(
            {
                "Nats-Msg-Id": {"type": "string", "description": "Optional: the CloudEvent id, so that JetStream drops a "
                                "copy re-sent within two days (a corrected report needs a new id)."},
                RESUBMITTED_FROM: {"type": "string", "description": "Set by an operator re-submitting a refused report: "
                                   "the rejection's sequence in AMV_REJECTED."},
            },
            [],
        ),
        "payload": {"$ref": SCHEMA_REF.format(model=f"{key(cls.event_type, cls.version)}_event")},
        "x-cloudevents-type": cls.type_name(),
        "x-stored-by": cls.service,
        "x-reported-by": reporters,
    }
    current = EVENT_TYPES[cls.event_type]
    if cls is not current:
        message["x-deprecated"] = True
        message["x-superseded-by"] = current.type_name()
        until = accepted_until(cls.event_type, cls.version)
        message["x-accepted-until"] = until.isoformat() if until else None
    elif reporters:
        example = example_of(cls.event_type)
        message["examples"] = [
            {"name": f"{cls.event_type}-example", "summary": f"{example.org} reports {cls.event_type}",
             "payload": example.envelope(cls.event_type)}
        ]
    return message


def _header_schema(properties: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _channel(address: str, description: str, messages: dict[str, str], parameters: dict[str, str]) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address,
        "description": description,
        "messages": {name: {"$ref": ref} for name, ref in messages.items()},
    }
    if parameters:
        channel["parameters"] = {name: {"description": text} for name, text in parameters.items()}
    return channel


def _operation(action: str, channel: str, messages: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
    }


def build() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as a dict in a stable order."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cls in all_models():
        name = key(cls.event_type, cls.version)
        schemas[name] = _data_schema(cls, schemas)
        schemas[f"{name}_event"] = _envelope_schema(cls)
        messages[name] = _message(cls)

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    org_parameter = "Your organisation id, e.g. nidos, coa, gm0855 (municipality), vwn-gm0855, school-isk-tilburg."

    for event_type in reportable_types():
        cls = EVENT_TYPES[event_type]
        versions = [m for m in all_models() if m.event_type == event_type and (m is cls or accepted_until(event_type, m.version))]
        channel = f"inbox-{event_type}"
        kinds = ", ".join(sorted(cls.reporters))
        channels[channel] = _channel(
            subjects.inbox("{org}", event_type),
            f"Report {event_type}: {_first_line(cls.__doc__)} Organisations of kind {kinds} may publish here, each "
            f"only in its own name (source urn:nld:warmeoverdracht:org:<org>). Stored in stream AMV_INBOX; what is "
            f"refused appears on amv.rejected.<org>.{event_type}.",
            {key(event_type, m.version): f"#/components/messages/{key(event_type, m.version)}" for m in versions},
            {"org": org_parameter},
        )
        channels[channel]["x-reported-by"] = sorted(cls.reporters)
        operations[f"receive-{event_type}"] = _operation(
            "receive", channel, [key(event_type, m.version) for m in versions],
            f"The system receives {event_type} from a partner.",
        )

    codes = sorted(REJECTION_CODES)
    rejection_headers = {name: {"type": "string", "description": text} for name, text in REJECTION_HEADERS.items()}
    rejection_headers["Wo-Error-Code"]["enum"] = codes
    messages["Rejection"] = {
        "name": "Rejection",
        "title": "A refused report",
        "summary": "The original message, untouched, with why it was refused in the headers.",
        "description": "The body is byte for byte what was published to the inbox (it may not even be JSON), "
        "except for `too-large`: then it is empty and Wo-Original-Bytes says the size. "
        "Codes:\n\n" + "\n".join(f"- `{code}`: {REJECTION_CODES[code]}" for code in codes),
        "headers": _header_schema(rejection_headers, ["Wo-Error-Code", "Wo-Error-Reason", "Wo-Original-Subject",
                                                      "Wo-Original-Sequence"]),
        "payload": {"description": "The original message body, untouched (empty for too-large)."},
    }
    channels["rejected"] = _channel(
        subjects.rejected("{org}", "{eventType}"),
        "Refused reports of an organisation (stream AMV_REJECTED, kept a year). Partners subscribe to "
        "amv.rejected.<own org>.> to hear why a report was refused.",
        {"Rejection": "#/components/messages/Rejection"},
        {"org": "The organisation of the refused report's subject ('unknown' when the subject had none).",
         "eventType": "The event type of the refused report's subject ('unknown' when it had none)."},
    )
    operations["send-rejection"] = _operation("send", "rejected", ["Rejection"], "A refused report goes back to its sender.")

    task = key("TaskOpened", EVENT_TYPES["TaskOpened"].version)
    channels["tasks"] = _channel(
        subjects.tasks("{org}", "TaskOpened"),
        "Tasks for an organisation (stream AMV_TASKS): accept, decline, start, tick, complete them by reporting "
        "TaskAccepted etc. to your own inbox with its task_id.",
        {task: f"#/components/messages/{task}"},
        {"org": "The organisation that owns the task."},
    )
    operations["send-task"] = _operation("send", "tasks", [task], "A handoff becomes a task for its new owner.")

    notices = [name for change in TASK_CHANGES.values() for name in change if name != "TaskOpened"]
    notice_keys = [key(name, EVENT_TYPES[name].version) for name in notices]
    channels["task-notices"] = _channel(
        subjects.tasks("{org}", "{noticeType}"),
        "Every change of a task, told to its owner and to its requester (stream AMV_TASKS; the same by webhook, "
        "docs/webhooks.md): opened (to the requester; the owner gets TaskOpened), accepted, declined, started, "
        "completed, cancelled, overdue, escalated. Subscribe to amv.tasks.<own org>.> for all of them. "
        "Not yet: reassigned (a named key worker does not exist yet).",
        {name: f"#/components/messages/{name}" for name in notice_keys},
        {"org": "The organisation told: the task's owner or its requester.",
         "noticeType": "The change: " + ", ".join(notices) + "."},
    )
    operations["send-task-notice"] = _operation(
        "send", "task-notices", notice_keys, "A change of a task is told to its owner and its requester."
    )

    stored = [key(m.event_type, m.version) for m in all_models()]
    channels["event-store"] = _channel(
        subjects.event("{service}", "{caseId}", "{eventType}"),
        "The event store (stream AMV_EVENTS, kept forever): every fact and decision of every case. Only the "
        "services write here, each its own subjects; partners never see it. Earlier versions are read as the "
        "current one through their upcasters (contracts/versions.py).",
        {name: f"#/components/messages/{name}" for name in stored},
        {"service": "The service that stored the event: intake, guardianship, housing or notify.",
         "caseId": "The pseudonymous case id.", "eventType": "The event type."},
    )
    operations["append-event"] = _operation("send", "event-store", stored, "A service appends an event to a case.")

    day = key("DayStarted", EVENT_TYPES["DayStarted"].version)
    channels["clock"] = _channel(
        subjects.CLOCK_DAY,
        "Time as an event (stream AMV_CLOCK): a DayStarted every midnight (Europe/Amsterdam) from a JetStream "
        "schedule; operators and tests may publish {\"date\": \"YYYY-MM-DD\"} or the CloudEvent.",
        {day: f"#/components/messages/{day}"},
        {},
    )
    operations["receive-day"] = _operation("receive", "clock", [day], "Every deadline is evaluated when a day starts.")

    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "A message that failed every attempt",
        "summary": "Parked for an operator, untouched, with where it came from in the headers.",
        "headers": _header_schema(
            {
                "Wo-Original-Subject": {"type": "string"},
                "Wo-Original-Stream": {"type": "string"},
                "Wo-Original-Sequence": {"type": "string"},
                "Wo-Error-Reason": {"type": "string"},
            },
            ["Wo-Original-Subject", "Wo-Original-Stream", "Wo-Original-Sequence", "Wo-Error-Reason"],
        ),
        "payload": {"description": "The original message body, untouched (empty for too-large)."},
    }
    channels["dead-letters"] = _channel(
        f"{subjects.DEAD_LETTER_PREFIX}.{{service}}.{{consumer}}",
        "Messages a service could not process after WO_MAX_DELIVER attempts (stream AMV_REJECTED). Inbox reports "
        "that fail this way become a Rejection with code processing-failed instead.",
        {"DeadLetter": "#/components/messages/DeadLetter"},
        {"service": "The service whose consumer gave up.", "consumer": "The durable consumer."},
    )
    operations["send-dead-letter"] = _operation("send", "dead-letters", ["DeadLetter"], "A failing message is parked.")

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Warme Overdracht",
            "version": DOCUMENT_VERSION,
            "description": "Partner systems report the facts of a case of an unaccompanied refugee minor (AMV) as "
            "CloudEvents on NATS; the system asks the next organisation to take over before the previous one stops, "
            "and delivers that as a task. Plain NATS and JSON suffice: see docs/partners.md. Messages larger than "
            f"{MAX_MESSAGE_BYTES} bytes are refused. Organisation kinds: {', '.join(ORGANISATION_KINDS)}.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The server `make run` starts. Partners get their own server URL and credentials "
                "from the operator.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }
