"""HEALTHCHECK of a service container (deploy/Dockerfile): is this service pulling its messages?

It asks NATS, not the service: it finds which service runs in the container (the
`python -m services.<name>` process), connects to NATS_URL with the service's own login (NATS_USER
and NATS_PASSWORD or NATS_PASSWORD_FILE, as the service reads them) and looks at that service's
durable consumers: a service whose consumer loop runs keeps a pull request waiting on
the server (num_waiting) or holds messages it is working on (num_ack_pending). Healthy if any of
its consumers shows either within a few samples. The handoff desk (`python -m services.desk`) has no
durable consumers: it is asked itself, healthy when its /healthz on WO_HTTP_PORT answers 200
(connected to NATS). Exit 0 healthy, 1 unhealthy (reason on stdout).

Limits: with several replicas of one service, a waiting pull from any replica counts; a service
that is connected but stuck inside a handler shows num_ack_pending and counts as healthy until
ack_wait redelivers its messages elsewhere.
"""

import asyncio
import sys
from pathlib import Path

DESK = "desk"
SAMPLES = 6
SAMPLE_INTERVAL_S = 0.5
DEADLINE_S = 20.0  # below the HEALTHCHECK --timeout of deploy/Dockerfile (30 s)


def running_service() -> str | None:
    """The `<name>` of the `python -m services.<name>` process in this container, if any."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        for flag, module in zip(argv, argv[1:]):
            if flag == "-m" and module.startswith("services.") and module.count(".") == 1:
                return module.removeprefix("services.")
    return None


def nats_login(service: str) -> tuple[list[str], dict[str, str]]:
    """The servers and `nats.connect` keywords the service itself uses (services/runtime/service.py):
    its user and password, and its own reply inbox, the only one its user may subscribe to."""
    from services.runtime.natsauth import inbox_prefix
    from services.runtime.settings import Settings

    settings = Settings()
    login = settings.nats_login()
    return settings.nats_url.split(","), {**login, "inbox_prefix": inbox_prefix(settings.nats_user or service)}


async def check(service: str) -> str | None:
    """None when healthy, otherwise why not."""
    import nats

    from services.bootstrap import consumers as bootstrap_consumers

    from services.runtime import provision

    specs = [spec for spec in bootstrap_consumers() if spec.service == service]
    if not specs:
        return f"no durable consumers are declared for service {service!r}"
    try:
        servers, login = nats_login(service)
    except ValueError as exc:  # an unreadable NATS_PASSWORD_FILE, say
        return f"no NATS login: {exc}"

    async def quiet(exc: Exception) -> None:
        pass

    try:
        # max_reconnect_attempts=0 would mean "forever" to nats-py: try each server once.
        nc = await nats.connect(
            servers, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=1, error_cb=quiet, **login
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
        return f"cannot connect to NATS at {','.join(servers)}: {exc!r}"
    try:
        js = nc.jetstream(timeout=2)
        for _ in range(SAMPLES):
            for spec in specs:
                try:
                    info = await js.consumer_info(spec.stream, spec.durable)
                except Exception as exc:  # noqa: BLE001
                    return f"consumer {spec.stream}/{spec.durable} unavailable: {exc!r}"
                if (info.num_waiting or 0) > 0 or (info.num_ack_pending or 0) > 0:
                    return None
            await asyncio.sleep(SAMPLE_INTERVAL_S)
        return f"no consumer of {service} is being pulled: {', '.join(s.durable for s in specs)}"
    finally:
        await nc.close()


async def check_desk() -> str | None:
    """None when the desk's /healthz answers 200, otherwise why not."""
    import httpx

    from services.runtime.settings import Settings

    url = f"http://127.0.0.1:{Settings().http_port}/healthz"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(url)
    except httpx.HTTPError as exc:
        return f"no answer from the handoff desk at {url}: {exc!r}"
    return None if response.status_code == 200 else f"the handoff desk at {url} answers {response.status_code}"


def main() -> int:
    service = running_service()
    if service is None:
        print("unhealthy: no `python -m services.<name>` process runs in this container")
        return 1
    try:
        problem = asyncio.run(asyncio.wait_for(check_desk() if service == DESK else check(service), DEADLINE_S))
    except TimeoutError:
        problem = f"no answer from NATS within {DEADLINE_S:.0f}s"
    if problem:
        print(f"unhealthy: {problem}")
        return 1
    print(f"healthy: {service} {'answers' if service == DESK else 'is pulling from NATS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
