"""Who may do what on NATS: the users (a partner per organisation, a service, the operator), their
accounts and their publish/subscribe permissions, derived from the organisation directory, the
streams and the consumers. services/runtime/natsauth.py says why it is shaped this way.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from contracts import subjects
from contracts.events import event_class, inbox_types
from contracts.ids import organisation_kind
from services.runtime.directory import Directory
from services.runtime.privacy import PERSONAL_EVENT_TYPES
from services.runtime.provision import PROVISIONER_USER, durables_a_service_may_own, stream_configs
from services.runtime.streams import (
    CLOCK_STREAM,
    EVENTS_STREAM,
    KEYS_STREAM,
    KEYS_SUBJECT_PREFIX,
    PARKED_STREAM,
    PARKED_SUBJECT_PREFIX,
)

SYSTEM_ACCOUNT = "warme-overdracht"
SERVICES = ("intake", "guardianship", "housing", "notify")
OPS_USER = "ops"
STREAM_ADMIN_VERBS = ("CREATE", "UPDATE", "DELETE", "PURGE")


def inbox_prefix(user: str) -> str:
    """The reply-inbox prefix a user connects with (nats-py: `nats.connect(..., inbox_prefix=...)`)."""
    return subjects.reply_inbox_prefix(user)


def partner_account(org: str) -> str:
    return f"partner-{org}"


@dataclass(frozen=True)
class Permissions:
    publish_allow: tuple[str, ...]
    subscribe_allow: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    subscribe_deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class NatsUser:
    name: str
    account: str
    role: str  # "partner", "service", "ops" or "provisioner"
    permissions: Permissions

    @property
    def inbox_prefix(self) -> str:
        return inbox_prefix(self.name)


# --- who may do what --------------------------------------------------------------------------


def partner_organisations(directory: Directory, schools: Iterable[str] = ()) -> list[str]:
    """Every organisation of the directory, and the schools configured besides it."""
    for school in schools:
        if organisation_kind(school) != "school":
            raise ValueError(f"'{school}' is not a school organisation id (school-<name>)")
    return sorted(directory.organisations() | set(schools))


def partner_user(org: str) -> NatsUser:
    return NatsUser(
        org,
        partner_account(org),
        "partner",
        Permissions(
            publish_allow=(f"{subjects.INBOX_PREFIX}.{org}.>",),
            subscribe_allow=(
                f"{subjects.REJECTED_PREFIX}.{org}.>",
                f"{subjects.TASKS_PREFIX}.{org}.>",
                f"{inbox_prefix(org)}.>",
            ),
        ),
    )


def _streams_info() -> list[str]:
    """Reading a stream's configuration and state (binding to a key-value bucket, /readyz)."""
    return [subjects.js_api("STREAM", "INFO", config.name) for config in stream_configs()]


def _own_consumers(service: str) -> list[str]:
    """Bind to its durable consumers: info, pull, ack; never create, update or delete one (the
    provisioner does: `provisioner_user`)."""
    granted = []
    for stream, durable in durables_a_service_may_own(service):
        granted += [
            subjects.js_api("CONSUMER", "INFO", stream, durable),
            subjects.js_api("CONSUMER", "MSG", "NEXT", stream, durable),
            subjects.js_ack(stream, durable, ">"),
        ]
    return granted


def _what_the_service_writes(service: str) -> list[str]:
    writes = [f"{subjects.EVENTS_PREFIX}.{service}.>", f"{subjects.DEAD_LETTER_PREFIX}.{service}.>"]
    if service == "intake":  # its inbox-triage refuses whatever no service owns
        writes.append(f"{subjects.REJECTED_PREFIX}.>")
    else:
        writes += [subjects.rejected("*", event_type) for event_type in inbox_types(service)]
    if service == "notify":  # delivers tasks and records webhook deliveries
        writes += [f"{subjects.TASKS_PREFIX}.>", f"{subjects.WEBHOOKS_PREFIX}.>"]
    return writes


def _subjects_overlap(a: str, b: str) -> bool:
    """Can one subject match both patterns? (`*` is one token, `>` all the rest)"""
    left, right = a.split("."), b.split(".")
    for x, y in zip(left, right, strict=False):
        if ">" in (x, y):
            return True
        if "*" not in (x, y) and x != y:
            return False
    return len(left) == len(right)


def _streams_read_back(service: str) -> list[str]:
    """Direct gets of the streams the service writes: the event store, which every case is read
    from, and e.g. notify's records of webhook deliveries."""
    writes = _what_the_service_writes(service)
    return [
        subjects.js_api("DIRECT", "GET", config.name)
        for config in stream_configs()
        if any(_subjects_overlap(w, s) for w in writes for s in config.subjects)
    ]


def service_user(service: str) -> NatsUser:
    return NatsUser(
        service,
        SYSTEM_ACCOUNT,
        "service",
        Permissions(
            publish_allow=tuple(
                _what_the_service_writes(service)
                + _streams_info()
                + _own_consumers(service)
                + [
                    # the projection: an ordered (ephemeral) consumer of the event store
                    subjects.js_api("CONSUMER", "CREATE", EVENTS_STREAM),
                    subjects.js_api("STREAM", "NAMES"),  # nats-py looks up the stream of the subject
                    subjects.js_flow_control(EVENTS_STREAM, ">"),
                ]
                + _streams_read_back(service)
                + [subjects.js_api("DIRECT", "GET", CLOCK_STREAM)]  # the days started before the one it decides
                + [subjects.js_api("STREAM", "MSG", "GET", CLOCK_STREAM)]  # /metrics: the current day (overdue tasks)
                + _case_keys(service)
                + _parked_cases(service)
                + _handoff_desk(service)
            ),
            subscribe_allow=(f"{inbox_prefix(service)}.>",)
            + tuple(subjects.rejected("*", t) for t in (inbox_types(service) if service == "notify" else ())),
        ),
    )


def _handoff_desk(service: str) -> list[str]:
    """notify's web desk answers tasks on behalf of a signed-in organisation: it publishes the answer
    to that organisation's inbox, watches for its refusal, and reads "today" from the clock."""
    if service != "notify":
        return []
    return [subjects.inbox("*", t) for t in inbox_types(service)] + [
        subjects.js_api("CONSUMER", "CREATE", CLOCK_STREAM),  # an ordered consumer: no name, so no other's
        subjects.js_flow_control(CLOCK_STREAM, ">"),
    ]


def _case_keys(service: str) -> list[str]:
    """The case keys of personal fields (services/runtime/privacy/): every service reads them and
    follows the bucket; only the services that store events with personal fields create them."""
    granted = [
        subjects.js_api("DIRECT", "GET", KEYS_STREAM),
        subjects.js_api("DIRECT", "GET", KEYS_STREAM, ">"),
        subjects.js_api("CONSUMER", "CREATE", KEYS_STREAM),
        subjects.js_flow_control(KEYS_STREAM, ">"),
    ]
    if any(event_class(event_type).service == service for event_type in PERSONAL_EVENT_TYPES):
        granted.append(f"{KEYS_SUBJECT_PREFIX}>")
    return granted


def _parked_cases(service: str) -> list[str]:
    """The service's own records of parked cases (services/runtime/parking.py): it writes them and
    follows them, so that an operator's retry reaches it."""
    return [
        f"{PARKED_SUBJECT_PREFIX}{service}.>",
        subjects.js_api("DIRECT", "GET", PARKED_STREAM),
        subjects.js_api("DIRECT", "GET", PARKED_STREAM, ">"),
        subjects.js_api("CONSUMER", "CREATE", PARKED_STREAM),
        subjects.js_api("CONSUMER", "INFO", PARKED_STREAM, "*"),  # a KV watch asks its consumer what is pending
        subjects.js_flow_control(PARKED_STREAM, ">"),
    ]


def ops_user() -> NatsUser:
    return NatsUser(
        OPS_USER,
        SYSTEM_ACCOUNT,
        "ops",
        Permissions(
            publish_allow=(
                f"{subjects.INBOX_PREFIX}.>",  # the demo's reports; re-submitting a fixed rejection
                subjects.CLOCK_DAY,  # `overdracht day` and the clock's catch-up (services/runtime/clock.py)
                subjects.CLOCK_SCHEDULE,  # the clock's one schedule, provisioned by `make run` or compose's `clock`
                f"{subjects.WEBHOOKS_PREFIX}.redrive.>",
                subjects.js_api(">"),
                subjects.js_ack(">"),
                subjects.js_flow_control(">"),
                f"{KEYS_SUBJECT_PREFIX}>",  # `overdracht erase`: the delete marker of an erased case's key
                f"{PARKED_SUBJECT_PREFIX}>",  # `overdracht parked retry`: the delete marker of a parked case
            ),
            publish_deny=(
                # no stream is created, changed, deleted or purged by an operator: only `provisioner`
                # creates and updates (an update with max_age 1s would empty even the event store)
                *(subjects.js_api("STREAM", verb, ">") for verb in STREAM_ADMIN_VERBS),
                # nor a durable consumer created or removed (the ops tools read with ordered
                # consumers, `$JS.API.CONSUMER.CREATE.<stream>`, which the server keeps ephemeral)
                subjects.js_api("CONSUMER", "CREATE", "*", ">"),
                subjects.js_api("CONSUMER", "DURABLE", "CREATE", ">"),
                subjects.js_api("CONSUMER", "DELETE", ">"),
                # deleting messages: of no stream but the case keys (`overdracht erase` overwrites one key)
                *(subjects.js_api("STREAM", "MSG", "DELETE", c.name) for c in stream_configs() if c.name != KEYS_STREAM),
            ),
            # `_INBOX.>` as well: operator tools such as the `nats` CLI use the default reply prefix;
            # no service does (each has its own), so nobody else's replies arrive there.
            subscribe_allow=(subjects.ALL, f"{inbox_prefix(OPS_USER)}.>", f"{subjects.DEFAULT_REPLY_INBOX}.>"),
        ),
    )


def provisioner_user() -> NatsUser:
    """The one login that creates and updates the streams, key-value buckets and every service's
    durable consumers (services/provisioning.py): by name, nothing else. It may not delete or purge,
    publish, or read any message."""
    durables = [pair for service in SERVICES for pair in durables_a_service_may_own(service)]
    return NatsUser(
        PROVISIONER_USER,
        SYSTEM_ACCOUNT,
        "provisioner",
        Permissions(
            publish_allow=tuple(
                [subjects.js_api("INFO")]
                + [subjects.js_api("STREAM", verb, c.name) for c in stream_configs() for verb in ("CREATE", "UPDATE", "INFO")]
                + [subjects.js_api("CONSUMER", verb, stream, durable) for stream, durable in durables
                   for verb in ("CREATE", "INFO")]
                + [subjects.js_api("CONSUMER", "CREATE", stream, durable, ">") for stream, durable in durables]
            ),
            subscribe_allow=(f"{inbox_prefix(PROVISIONER_USER)}.>",),
        ),
    )


def users(directory: Directory, schools: Iterable[str] = ()) -> list[NatsUser]:
    found = [partner_user(org) for org in partner_organisations(directory, schools)]
    found += [service_user(service) for service in SERVICES] + [ops_user(), provisioner_user()]
    names = [user.name for user in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise ValueError(f"two NATS users would be named {clashes[0]!r}")
    return found
