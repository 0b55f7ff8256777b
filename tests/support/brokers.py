"""The real NATS servers tests run against: one from NATS_URL, a testcontainers container, or the
embedded binary. `make test` picks the first that applies (see conftest.broker_url)."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.runtime.natsserver import EmbeddedNats, binary

REPO = Path(__file__).resolve().parents[2]
NATS_IMAGE = "warme-overdracht/nats:local"

# The reaper image (ryuk) cannot be pulled here; fixtures stop their own containers instead.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


def docker_engine_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no usable engine
        return False


def ensure_local_nats_image() -> str:
    """Build the NATS image from the local binary (FROM scratch) unless it exists already (with the
    time zone the clock's schedule needs: an image built before it had none)."""
    import docker

    client = docker.from_env()
    try:
        if "org.warme-overdracht.zoneinfo" in (client.images.get(NATS_IMAGE).labels or {}):
            return NATS_IMAGE
    except docker.errors.ImageNotFound:
        pass
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(REPO / "deploy" / "nats" / "Dockerfile", Path(context) / "Dockerfile")
        shutil.copytree(REPO / "deploy" / "nats" / "zoneinfo", Path(context) / "zoneinfo")
        shutil.copy(binary(), Path(context) / "nats-server")
        client.images.build(path=context, tag=NATS_IMAGE, rm=True)
    return NATS_IMAGE


@contextmanager
def container_nats() -> Iterator[str]:
    """nats-server with JetStream in a container started by testcontainers; yields its URL."""
    from testcontainers.community.nats import NatsContainer

    container = NatsContainer(image=ensure_local_nats_image()).with_command("-js -m 8222")
    container.start()
    try:
        yield container.nats_uri()
    finally:
        container.stop()


@contextmanager
def binary_nats() -> Iterator[str]:
    """The nats-server binary on a free loopback port with a temporary store; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="wo-nats-") as store, EmbeddedNats(Path(store)) as server:
        yield server.url


@contextmanager
def any_nats() -> Iterator[tuple[str, str]]:
    """(kind, url): NATS_URL if set, else a container when a Docker engine answers, else the binary."""
    if os.environ.get("NATS_URL"):
        yield "external", os.environ["NATS_URL"]
    elif docker_engine_answers():
        with container_nats() as url:
            yield "container", url
    else:
        with binary_nats() as url:
            yield "binary", url
