"""`python -m services.provisioning`: create (or update) every stream, key-value bucket and durable
consumer of the system, then exit. It logs in as the NATS user `provisioner`, the one login that may
create or change streams and durable consumers (services/runtime/natsusers.py); the services only
bind to what it made and wait, not ready, until it has run.

Run by compose's one-shot `provision` step before the clock and the services, and by `make run`'s
supervisor before it starts the services. Idempotent: run it again after an upgrade that adds a
consumer or changes a stream. Settings as the services': NATS_URL, NATS_USER, NATS_PASSWORD(_FILE),
WO_STREAM_REPLICAS, WO_DUPLICATE_WINDOW_S, WO_MAX_DELIVER, WO_ACK_WAIT_S.
"""

import argparse
import asyncio
import sys

import nats
import structlog

from services.bootstrap import DECIDERS
from services.runtime import provision
from services.runtime.logging import configure_logging
from services.runtime.natsusers import inbox_prefix
from services.runtime.settings import Settings

log = structlog.get_logger()


async def provision_everything(settings: Settings) -> list[provision.Consumer]:
    login = settings.nats_login()
    if "user" in login:
        login["inbox_prefix"] = inbox_prefix(login["user"])
    nc = await nats.connect(settings.nats_url.split(","), connect_timeout=5, max_reconnect_attempts=10, **login)
    try:
        return await provision.provision_system(
            nc.jetstream(timeout=settings.publish_ack_timeout_s),
            DECIDERS,
            replicas=settings.stream_replicas,
            duplicate_window_s=settings.duplicate_window_s,
            max_deliver=settings.max_deliver,
            ack_wait_s=settings.ack_wait_s,
        )
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m services.provisioning", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    made = asyncio.run(provision_everything(settings))
    log.info("provisioned", streams=[c.name for c in provision.stream_configs()],
             consumers=[f"{c.stream}/{c.durable}" for c in made], user=settings.nats_user or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
