"""Streams and durable consumers, declared in this one place and provisioned idempotently.

Nothing creates or changes streams implicitly (FastStream's `declare=True` rewrites an existing
stream's limits). One identity provisions: the NATS user `provisioner`, in compose's one-shot
`provision` step and in `make run`'s supervisor (`python -m services.provisioning`), which calls
`provision_system` with every service's Decider: it creates what is missing and updates what differs.
A service only binds: `wait_until_provisioned` waits (its /readyz false) until its durable consumers
exist, and never creates one itself; its NATS user may not (services/runtime/natsusers.py).
"""

import asyncio
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import nats.errors
import nats.js.errors
import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, StorageType, StreamConfig

from contracts import subjects
from contracts.events import inbox_types
from services.runtime.decider import Decider
from services.runtime.streams import (
    CLOCK_STREAM,
    EVENTS_STREAM,
    INBOX_STREAM,
    KEYS_STREAM,
    KEYS_SUBJECT_PREFIX,
    REJECTED_STREAM,
    TASKS_STREAM,
    PARKED_STREAM,
    PARKED_SUBJECT_PREFIX,
    WEBHOOKS_STREAM,
)

log = structlog.get_logger()
WEBHOOKS_PREFIX = subjects.WEBHOOKS_PREFIX  # kept here too: ops and notify import it from provision
DAY = 24 * 3600.0


def stream_configs(replicas: int = 1, duplicate_window_s: float = 2 * DAY) -> list[StreamConfig]:
    """The streams of the system. The inbox takes partner input, so it refuses delete, purge and
    rollup headers, and ignores schedules: a partner can only append."""
    common = dict(storage=StorageType.FILE, num_replicas=replicas, duplicate_window=duplicate_window_s)
    return [
        StreamConfig(
            name=INBOX_STREAM,
            description="Reports from partner organisations, as published (amv.inbox.<org>.<EventType>).",
            subjects=[f"{subjects.INBOX_PREFIX}.>"],
            max_age=365 * DAY,
            max_msg_size=1024 * 1024,
            deny_delete=True,
            deny_purge=True,
            allow_rollup_hdrs=False,
            allow_msg_schedules=False,
            **common,
        ),
        StreamConfig(
            name=EVENTS_STREAM,
            description="The event store: amv.events.<service>.<case>.<EventType>, kept forever.",
            subjects=[f"{subjects.EVENTS_PREFIX}.>"],
            allow_direct=True,
            allow_atomic=True,
            deny_delete=True,
            deny_purge=True,
            discard=DiscardPolicy.NEW,
            **common,
        ),
        StreamConfig(
            name=REJECTED_STREAM,
            description="Refused reports and dead letters, the original untouched, with code and reason in headers.",
            subjects=[f"{subjects.REJECTED_PREFIX}.>", f"{subjects.DEAD_LETTER_PREFIX}.>"],
            max_age=365 * DAY,
            allow_direct=True,
            **common,
        ),
        StreamConfig(
            name=TASKS_STREAM,
            description="Tasks delivered to organisations (amv.tasks.<org>.<EventType>).",
            subjects=[f"{subjects.TASKS_PREFIX}.>"],
            max_age=365 * DAY,
            allow_direct=True,
            **common,
        ),
        StreamConfig(
            name=CLOCK_STREAM,
            description="Time: DayStarted on amv.clock.day, published every midnight by the schedule on "
            "amv.clock.schedule.day (services/runtime/clock.py) and by operators.",
            subjects=[f"{subjects.CLOCK_PREFIX}.>"],
            max_age=2 * 365 * DAY,
            allow_msg_schedules=True,
            allow_direct=True,  # every service reads the days started before the one it decides
            **common,
        ),
        StreamConfig(
            name=WEBHOOKS_STREAM,
            description="Webhook delivery: a record of every attempt (amv.webhooks.attempts.<org>.<delivery id>) "
            "and dead letters an operator re-queued (amv.webhooks.redrive.<org>.<EventType>).",
            subjects=[f"{WEBHOOKS_PREFIX}.>"],
            max_age=365 * DAY,
            allow_direct=True,
            **common,
        ),
        # The key-value bucket AMV_CASE_KEYS (nats-py: js.key_value("AMV_CASE_KEYS")), declared here
        # like every stream: its keys may be deleted one by one (a secure erase), never purged at once
        # (so no rollup either: with history 1 a delete marker replaces the key it follows).
        StreamConfig(
            name=KEYS_STREAM,
            description="Key-value bucket AMV_CASE_KEYS: the key per case that encrypts its personal fields "
            "(services/runtime/privacy.py); erasing a case deletes its key (crypto-shredding).",
            subjects=[f"{KEYS_SUBJECT_PREFIX}>"],
            max_msgs_per_subject=1,  # history 1: no earlier key survives a newer message
            allow_rollup_hdrs=False,
            allow_direct=True,
            deny_delete=False,  # privacy.erase_case deletes (overwrites) one key
            deny_purge=True,
            discard=DiscardPolicy.NEW,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=120.0,
        ),
        # The key-value bucket AMV_PARKED (services/runtime/parking.py): the cases a service set
        # aside because deciding or folding them failed, one record per service and case.
        StreamConfig(
            name=PARKED_STREAM,
            description="Key-value bucket AMV_PARKED: cases a service parked (<service>.<case>), with the reason; "
            "deleting a record retries the case (overdracht parked retry).",
            subjects=[f"{PARKED_SUBJECT_PREFIX}>"],
            max_msgs_per_subject=1,
            allow_rollup_hdrs=True,
            allow_direct=True,
            deny_delete=False,
            deny_purge=False,
            discard=DiscardPolicy.NEW,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=120.0,
        ),
    ]


@dataclass(frozen=True)
class Consumer:
    service: str
    stream: str
    durable: str
    filter_subjects: tuple[str, ...]
    description: str
    max_deliver: int | None = None  # None: the service's WO_MAX_DELIVER; -1: unlimited (the handler counts)


def consumers_of(decider: Decider) -> list[Consumer]:
    """A service's durable consumers, derived from its Decider: its partner reports (and, for intake,
    the triage of what no service owns), the stored events in its reactions table, the clock, and
    notify's webhook delivery."""
    service = decider.service
    found = []
    if service == "intake":
        found.append(Consumer(
            service, INBOX_STREAM, "inbox-triage", (f"{subjects.INBOX_PREFIX}.>",),
            "Rejects inbox messages no service owns (unknown type, malformed subject).",
        ))
    if decider.reports:
        found.append(Consumer(
            service, INBOX_STREAM, f"{service}-inbox", decider.inbox_filters(), f"Partner reports that {service} owns.",
        ))
    if decider.reactions:
        found.append(Consumer(
            service, EVENTS_STREAM, f"{service}-reactions", decider.reaction_filters(),
            f"Stored events {service} reacts to: {', '.join(sorted(decider.reactions))}.",
        ))
    found.append(Consumer(service, CLOCK_STREAM, f"{service}-clock", (subjects.CLOCK_DAY,), "Days: deadlines are due."))
    if service == "notify":
        found += WEBHOOK_CONSUMERS
    return found


# Webhook delivery counts its own attempts (WO_WEBHOOK_MAX_ATTEMPTS) and acks after
# dead-lettering, so JetStream must never give up on a task first: unlimited deliveries.
WEBHOOK_CONSUMERS = (
    Consumer(
        "notify",
        TASKS_STREAM,
        "notify-webhooks",
        (f"{subjects.TASKS_PREFIX}.>",),
        "Tasks to POST to their owners' webhooks (services/notify/delivery.py).",
        max_deliver=-1,
    ),
    Consumer(
        "notify",
        WEBHOOKS_STREAM,
        "notify-webhooks-redrive",
        (f"{WEBHOOKS_PREFIX}.redrive.>",),
        "Dead-lettered webhook deliveries an operator re-queued (overdracht dead-letters redrive).",
        max_deliver=-1,
    ),
)


def consumers(deciders: Iterable[Decider]) -> list[Consumer]:
    """Every durable consumer of the services whose deciders are given (services/bootstrap.py has all)."""
    return [spec for decider in deciders for spec in consumers_of(decider)]


def durables_a_service_may_own(service: str) -> list[tuple[str, str]]:
    """(stream, durable) of every consumer `service` could have, for its NATS permissions. The NATS
    users are generated below the services, without their deciders, so a reactions consumer is
    granted to every service whether or not its decider declares reactions (one that does not
    never creates it)."""
    possible = [(CLOCK_STREAM, f"{service}-clock"), (EVENTS_STREAM, f"{service}-reactions")]
    if inbox_types(service):
        possible.append((INBOX_STREAM, f"{service}-inbox"))
    if service == "intake":
        possible.append((INBOX_STREAM, "inbox-triage"))
    if service == "notify":
        possible += [(spec.stream, spec.durable) for spec in WEBHOOK_CONSUMERS]
    return possible


def consumer_config(spec: Consumer, max_deliver: int, ack_wait_s: float) -> ConsumerConfig:
    return ConsumerConfig(
        name=spec.durable,
        durable_name=spec.durable,
        description=spec.description,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait_s,
        max_deliver=max_deliver if spec.max_deliver is None else spec.max_deliver,
        max_ack_pending=10_000,
        filter_subjects=list(spec.filter_subjects),
    )


async def provision_streams(js: JetStreamContext, replicas: int = 1, duplicate_window_s: float = 2 * DAY) -> None:
    for config in stream_configs(replicas, duplicate_window_s):
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code != 10058:  # "stream name already in use with a different configuration"
                raise
            await js.update_stream(config)


async def provision_consumers(js: JetStreamContext, decider: Decider, max_deliver: int, ack_wait_s: float) -> None:
    for spec in consumers_of(decider):
        await js.add_consumer(spec.stream, consumer_config(spec, max_deliver, ack_wait_s))


async def provision_system(
    js: JetStreamContext,
    deciders: Iterable[Decider],
    *,
    replicas: int = 1,
    duplicate_window_s: float = 2 * DAY,
    max_deliver: int = 8,
    ack_wait_s: float = 30.0,
) -> list[Consumer]:
    """Every stream and key-value bucket, then every durable consumer of the given deciders (all of
    them: services/bootstrap.py): what `python -m services.provisioning` does as `provisioner`."""
    await provision_streams(js, replicas, duplicate_window_s)
    deciders = list(deciders)
    for decider in deciders:
        await provision_consumers(js, decider, max_deliver, ack_wait_s)
    return consumers(deciders)


async def missing_consumers(js: JetStreamContext, decider: Decider) -> list[str]:
    """The durable consumers of `decider` that do not exist yet (or whose stream does not), or whose
    filters differ from the declaration: NATS permissions cannot stop a login that may create an
    ordered consumer on a stream from naming a durable of that stream in the request's body and
    rewriting it (deploy/nats/README.md), so a service binds only to what it declared."""
    missing = []
    for spec in consumers_of(decider):
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except nats.js.errors.NotFoundError:
            missing.append(f"{spec.stream}/{spec.durable}")
            continue
        filters = set(info.config.filter_subjects or ()) | ({info.config.filter_subject} if info.config.filter_subject else set())
        if filters != set(spec.filter_subjects):
            missing.append(f"{spec.stream}/{spec.durable} (filters differ from its declaration)")
    return missing


async def wait_until_provisioned(js: JetStreamContext, decider: Decider, max_interval_s: float = 2.0) -> None:
    """Bind, never create: wait until the provisioner has created the service's streams and durable
    consumers (a service started first stays not ready, and says what it waits for)."""
    interval, reported = 0.05, None
    while missing := await _missing_or_unreachable(js, decider):
        if missing != reported:  # once per change, not per poll
            log.warning("waiting for provisioning (python -m services.provisioning)", service=decider.service,
                        missing=missing)
            reported = missing
        await asyncio.sleep(interval)
        interval = min(interval * 2, max_interval_s)


async def _missing_or_unreachable(js: JetStreamContext, decider: Decider) -> list[str]:
    try:
        return await missing_consumers(js, decider)
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:  # JetStream not up yet
        return [type(exc).__name__]


PROVISIONER_USER = "provisioner"  # the NATS user of services/provisioning.py (services/runtime/natsusers.py)


def run_provisioner(env: Mapping[str, str], passwords: Mapping[str, str]) -> bool:
    """`make run`'s provisioning (services/runtime/supervisor.py): `python -m services.provisioning`
    as the user `provisioner` when its dev password is known, else with the login in `env`. A failure
    (e.g. NATS_URL with a login that may not provision) is reported and `make run` goes on: the
    services then wait, not ready, until someone provisions."""
    login = {"NATS_USER": PROVISIONER_USER, "NATS_PASSWORD": passwords[PROVISIONER_USER]} if PROVISIONER_USER in passwords else {}
    done = subprocess.run([sys.executable, "-m", "services.provisioning"], env={**env, **login}, check=False)
    if done.returncode != 0:
        print(f"Provisioning FAILED (exit {done.returncode}): the services wait until `python -m services.provisioning` "
              "runs as the NATS user provisioner (docs/operations.md, \"Who may do what\")", file=sys.stderr, flush=True)
    return done.returncode == 0
