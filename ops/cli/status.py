"""`overdracht status`: is everything running? Services, consumer lag, streams, dead letters, open
support gaps, and the clock: the current day and the next one the schedule starts."""

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import nats.js.errors
import typer
from nats.aio.client import Client as NATS

from contracts import subjects
from contracts.clock import AMSTERDAM, refusal
from ops.cli.common import Code, JsonFlag, OpsError, Target, http_json, out, print_json, run, table
from services.bootstrap import consumers as bootstrap_consumers
from services.runtime import provision
from services.runtime.clock import current_day, schedule_state
from services.runtime.directget import StoreError
from services.runtime.eventstore import EVENTS_STREAM
from services.runtime.parking import parked_cases
from services.runtime.supervisor import SERVICES


async def consumer_states(nc: NATS) -> list[dict]:
    js = nc.jetstream(timeout=5)
    found = []
    for spec in bootstrap_consumers():
        row = {"service": spec.service, "stream": spec.stream, "consumer": spec.durable}
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except nats.js.errors.NotFoundError:
            found.append(row | {"missing": True})
            continue
        found.append(row | {
            "missing": False,
            "pending": info.num_pending or 0,
            "ack_pending": info.num_ack_pending or 0,
            "redelivered": info.num_redelivered or 0,
            "waiting_pulls": info.num_waiting or 0,
        })
    return found


async def stream_states(nc: NATS) -> list[dict]:
    js = nc.jetstream(timeout=5)
    found = []
    for config in provision.stream_configs():
        try:
            info = await js.stream_info(config.name)
        except nats.js.errors.NotFoundError:
            found.append({"stream": config.name, "missing": True})
            continue
        state = info.state
        found.append({"stream": config.name, "missing": False, "messages": state.messages, "bytes": state.bytes,
                      "first_seq": state.first_seq, "last_seq": state.last_seq,
                      "replicas": info.config.num_replicas})
    return found


async def subjects_of(nc: NATS, stream: str, subject_filter: str) -> dict[str, int]:
    info = await nc.jetstream(timeout=5).stream_info(stream, subjects_filter=subject_filter)
    return dict(info.state.subjects or {})


async def open_support_gaps(nc: NATS) -> list[str]:
    """Cases with a SupportGapDetected and no SupportGapClosed yet (a case's support ends once)."""

    def cases(counts: dict[str, int]) -> set[str]:
        return {subject.split(".")[3] for subject in counts}

    detected = cases(await subjects_of(nc, EVENTS_STREAM, subjects.events_of_type("SupportGapDetected")))
    closed = cases(await subjects_of(nc, EVENTS_STREAM, subjects.events_of_type("SupportGapClosed")))
    return sorted(detected - closed)


async def clock_state(nc: NATS, now: datetime | None = None) -> dict[str, Any]:
    """The current day (the last day started, None: none yet) and the next day the schedule starts:
    its date and time in Europe/Amsterdam, whether it will be started (a day not after the current
    one is refused), the schedule itself (None: there is none, days start only when published)."""
    now = now or datetime.now(UTC)
    try:
        current, schedule = await current_day(nc), await schedule_state(nc, now)
    except (nats.js.errors.NotFoundError, StoreError):  # no clock stream yet, or one not provisioned anew
        current, schedule = None, None
    next_at = schedule.next_at.astimezone(AMSTERDAM) if schedule and schedule.next_at else None
    return {
        "current_day": current,
        "next_day": next_at.date() if next_at else None,
        "next_at": next_at,
        "next_day_refused": refusal(current, next_at.date()) if next_at else None,
        "schedule": schedule.schedule if schedule else None,
        "time_zone": schedule.time_zone if schedule else None,
    }


async def service_states(target: Target, consumers: list[dict]) -> list[dict]:
    """Per service: is it alive? Its /healthz and /readyz when they answer; otherwise whether its
    consumer loops are pulling (a waiting pull or messages in hand)."""
    found = []
    for name in SERVICES:
        own = [c for c in consumers if c["service"] == name and not c["missing"]]
        pulling = any(c["waiting_pulls"] or c["ack_pending"] for c in own)
        row: dict[str, Any] = {"service": name, "pulling": pulling, "url": target.service_urls.get(name)}
        if row["url"]:
            try:
                health, _ = await http_json(f"{row['url']}/healthz")
                ready, readiness = await http_json(f"{row['url']}/readyz")
                row |= {"alive": health == 200, "ready": ready == 200, "checks": readiness.get("checks", {})}
            except OpsError as exc:  # no endpoint there (not published, or the service is gone): ask NATS
                row |= {"alive": pulling, "ready": None, "checks": {"http": str(exc)}}
        else:
            row |= {"alive": pulling, "ready": None, "checks": {}}
        found.append(row)
    return found


async def sampled_consumer_states(nc: NATS, samples: int = 4) -> list[dict]:
    """Consumer states, sampled a few times: a consumer loop's pull request is briefly absent
    between two fetches; a service counts as pulling if any sample shows its pull."""
    states = await consumer_states(nc)
    for _ in range(samples - 1):
        pulling = {c["service"] for c in states if not c["missing"] and (c["waiting_pulls"] or c["ack_pending"])}
        if pulling >= set(SERVICES):
            break
        await asyncio.sleep(0.3)
        for fresh, old in zip(await consumer_states(nc), states, strict=True):
            if not fresh["missing"] and not old["missing"]:
                old["waiting_pulls"] = max(old["waiting_pulls"], fresh["waiting_pulls"])
                old["ack_pending"] = max(old["ack_pending"], fresh["ack_pending"])
    return states


def status(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Is everything running? Services, consumer lag, stream sizes, dead letters, open support gaps.

    Services: alive (/healthz, or else whether their consumers are being pulled) and ready
    (/readyz). Consumers: messages pending (lag), unacknowledged, redelivered. Streams: messages
    and bytes. Then the dead letters, the refused reports, the parked cases and the cases with an
    open support gap.
    The clock: the current day (the last day started) and the next one, when the schedule starts
    it (--json: `clock` with current_day, next_day, next_at, next_day_refused, schedule, time_zone).

    Exits 3 when a service is down or not ready, or a stream or consumer is missing (unhealthy);
    else 1 when support gaps are open or cases are parked (a business alert); 0 when all is well. Look at the table,
    then at docs/operations.md, "Alerts".
    """

    async def work(nc: NATS) -> Code:
        consumers = await sampled_consumer_states(nc)
        report = {
            "services": await service_states(ctx.obj, consumers),
            "consumers": consumers,
            "streams": await stream_states(nc),
            "open_support_gaps": await open_support_gaps(nc),
            "dead_letters": await subjects_of(nc, provision.REJECTED_STREAM, f"{subjects.DEAD_LETTER_PREFIX}.>"),
            "rejected": sum((await subjects_of(nc, provision.REJECTED_STREAM, f"{subjects.REJECTED_PREFIX}.>")).values()),
            "parked_cases": [asdict(p) for p in await parked_cases(nc)],
            "clock": await clock_state(nc),
        }
        unhealthy, alerts = status_problems(report)
        report["problems"] = unhealthy + alerts
        report["healthy"] = not unhealthy
        if json_output:
            print_json(report)
        else:
            print_status(report)
        return Code.UNAVAILABLE if unhealthy else Code.ALERT if alerts else Code.OK

    run(ctx, work)


def status_problems(report: dict) -> tuple[list[str], list[str]]:
    """(what makes the system unhealthy, the business alerts) in a status report."""
    unhealthy = []
    for s in report["services"]:
        if not s["alive"]:
            unhealthy.append(f"service {s['service']} is down")
        elif s["ready"] is False:
            failing = {k: v for k, v in s["checks"].items() if v != "ok"}
            unhealthy.append(f"service {s['service']} is not ready: {failing}")
    unhealthy += [f"consumer {c['consumer']} does not exist" for c in report["consumers"] if c["missing"]]
    unhealthy += [f"stream {s['stream']} does not exist" for s in report["streams"] if s["missing"]]
    alerts = [f"{len(report['open_support_gaps'])} open support gap(s)"] if report["open_support_gaps"] else []
    if report["parked_cases"]:
        alerts.append(f"{len(report['parked_cases'])} parked case(s): see `overdracht parked list`")
    return unhealthy, alerts


def print_status(report: dict) -> None:
    services = table("Services", "service", "alive", "ready", "pulling", "endpoint", "checks")
    for s in report["services"]:
        failing = ", ".join(f"{k}: {v}" for k, v in s["checks"].items() if v != "ok")
        ready = "-" if s["ready"] is None else "yes" if s["ready"] else "NO"
        services.add_row(s["service"], "yes" if s["alive"] else "DOWN", ready, "yes" if s["pulling"] else "no",
                         s["url"] or "(not configured)", failing)
    numbers = ("pending", "ack pending", "redelivered", "waiting pulls")
    consumers = table("Consumers (lag = pending)", "service", "consumer", "stream", *numbers, right=numbers)
    for c in report["consumers"]:
        if c["missing"]:
            consumers.add_row(c["service"], c["consumer"], c["stream"], "MISSING", "", "", "")
        else:
            consumers.add_row(c["service"], c["consumer"], c["stream"], str(c["pending"]), str(c["ack_pending"]),
                              str(c["redelivered"]), str(c["waiting_pulls"]))
    numbers = ("messages", "bytes", "first seq", "last seq", "replicas")
    streams = table("Streams", "stream", *numbers, right=numbers)
    for s in report["streams"]:
        if s["missing"]:
            streams.add_row(s["stream"], "MISSING", "", "", "", "")
        else:
            streams.add_row(s["stream"], str(s["messages"]), str(s["bytes"]), str(s["first_seq"]), str(s["last_seq"]),
                            str(s["replicas"]))
    for shown in (services, consumers, streams):
        out.print(shown)
    dead = report["dead_letters"]
    out.print(f"Dead letters: {sum(dead.values())}" + "".join(f"\n  {k}: {v}" for k, v in sorted(dead.items())))
    out.print(f"Refused reports (AMV_REJECTED): {report['rejected']}")
    parked = report["parked_cases"]
    out.print(f"Parked cases: {len(parked)}" + "".join(f"\n  {p['service']} {p['case_id']}: {p['reason']}" for p in parked),
              highlight=False)
    gaps = report["open_support_gaps"]
    out.print(f"Open support gaps: {len(gaps)}" + "".join(f"\n  {case}" for case in gaps))
    out.print(clock_line(report["clock"]), highlight=False)
    if report["problems"]:
        out.print("PROBLEMS:\n" + "\n".join(f"  - {p}" for p in report["problems"]), highlight=False)
    else:
        out.print("All well.")


def clock_line(clock: dict[str, Any]) -> str:
    current = clock["current_day"].isoformat() if clock["current_day"] else "none started yet"
    if clock["schedule"] is None:
        upcoming = "no schedule: a day starts only when published (`overdracht day`)"
    elif clock["next_at"] is None:
        upcoming = f"by schedule '{clock['schedule']}' ({clock['time_zone']})"
    else:
        upcoming = (f"{clock['next_day'].isoformat()} at {clock['next_at'].isoformat()} by schedule "
                    f"'{clock['schedule']}' ({clock['time_zone']})")
        if clock["next_day_refused"]:
            upcoming += f", which will be refused: {clock['next_day_refused']}"
    return f"Clock: current day {current}; next day {upcoming}"


COMMANDS = {"status": status}
