"""NATS subject names: the one place they are spelled, ours (amv.…) and those of the NATS server
we speak directly (the JetStream API, key-value keys, reply inboxes)."""

ALL = "amv.>"  # every subject of the system
INBOX_PREFIX = "amv.inbox"
EVENTS_PREFIX = "amv.events"
REJECTED_PREFIX = "amv.rejected"
TASKS_PREFIX = "amv.tasks"
CLOCK_PREFIX = "amv.clock"
CLOCK_DAY = f"{CLOCK_PREFIX}.day"
CLOCK_SCHEDULE = f"{CLOCK_PREFIX}.schedule.day"  # the JetStream message schedule that publishes CLOCK_DAY
DEAD_LETTER_PREFIX = "amv.deadletter"
WEBHOOKS_PREFIX = "amv.webhooks"  # .attempts.<org>.<delivery id> records, .redrive.<org>.<EventType> re-queued


def inbox(org: str, event_type: str) -> str:
    """Where a partner organisation publishes a report: amv.inbox.<org>.<EventType>."""
    return f"{INBOX_PREFIX}.{org}.{event_type}"


def event(service: str, case_id: str, event_type: str) -> str:
    """Where a service stores an event of a case: amv.events.<service>.<case_id>.<EventType>."""
    return f"{EVENTS_PREFIX}.{service}.{case_id}.{event_type}"


def case_events(service: str, case_id: str) -> str:
    """Filter for every event of one case in one service's store."""
    return f"{EVENTS_PREFIX}.{service}.{case_id}.>"


def events_of_type(event_type: str) -> str:
    """Filter for one event type across services and cases."""
    return f"{EVENTS_PREFIX}.*.*.{event_type}"


def rejected(org: str, event_type: str) -> str:
    """Where a refused report goes, readable by its sender: amv.rejected.<org>.<EventType>."""
    return f"{REJECTED_PREFIX}.{org}.{event_type}"


def tasks(org: str, event_type: str) -> str:
    """Where an organisation receives its tasks: amv.tasks.<org>.<EventType>."""
    return f"{TASKS_PREFIX}.{org}.{event_type}"


def parse_inbox(subject: str) -> tuple[str, str] | None:
    """(org, event_type) of an inbox subject, None when it does not have that shape."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != "amv" or parts[1] != "inbox" or not all(parts):
        return None
    return parts[2], parts[3]


def parse_event(subject: str) -> tuple[str, str, str] | None:
    """(service, case_id, event_type) of an event-store subject."""
    parts = subject.split(".")
    if len(parts) != 5 or parts[0] != "amv" or parts[1] != "events":
        return None
    return parts[2], parts[3], parts[4]


def dead_letter(service: str, consumer: str) -> str:
    """Where a message that failed every attempt is parked: amv.deadletter.<service>.<consumer>."""
    return f"{DEAD_LETTER_PREFIX}.{service}.{consumer}"


# --- the NATS server's own subjects ------------------------------------------------------------

DEFAULT_REPLY_INBOX = "_INBOX"  # nats-py's and the nats CLI's reply prefix when none is given


def reply_inbox_prefix(user: str) -> str:
    """The reply-inbox prefix a user connects with: _INBOX_<user>."""
    return f"{DEFAULT_REPLY_INBOX}_{user}"


def kv_prefix(bucket: str) -> str:
    """The prefix of the keys of a JetStream key-value bucket: $KV.<bucket>.<key>."""
    return f"$KV.{bucket}."


def js_api(*tokens: str) -> str:
    """A JetStream API subject: $JS.API.<tokens…>, e.g. js_api("DIRECT", "GET", stream)."""
    return ".".join(("$JS.API", *tokens))


JS_ACK_PREFIX = "$JS.ACK"


def js_ack(*tokens: str) -> str:
    """A JetStream acknowledgement subject: $JS.ACK.<stream>.<consumer>.…"""
    return ".".join((JS_ACK_PREFIX, *tokens))


def js_flow_control(*tokens: str) -> str:
    """A JetStream flow-control subject (push and ordered consumers): $JS.FC.<stream>.…"""
    return ".".join(("$JS.FC", *tokens))
