"""The four services, run in the test's event loop against a real NATS server."""

import nats
from nats.aio.client import Client as NATS

from services.guardianship.app import GuardianshipService
from services.housing.app import HousingService
from services.intake.app import IntakeService
from services.notify.app import NotifyService
from services.provisioning import provision_everything
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

SERVICE_CLASSES: dict[str, type[ServiceRuntime]] = {
    "intake": IntakeService,
    "guardianship": GuardianshipService,
    "housing": HousingService,
    "notify": NotifyService,
}


class RunningSystem:
    def __init__(self, nats_url: str, **settings: object) -> None:
        settings.setdefault("http_port", 0)  # the handoff desk (services/desk) only where a test asks for a port
        self.settings = Settings(nats_url=nats_url, **settings)
        self.running: dict[str, tuple[ServiceRuntime, NATS]] = {}

    async def start(self, *names: str) -> "RunningSystem":
        await provision_everything(self.settings)  # as compose's `provision` step: services only bind
        for name in names or tuple(SERVICE_CLASSES):
            runtime = SERVICE_CLASSES[name](self.settings)
            nc = await nats.connect(self.settings.nats_url)
            await runtime.start(nc)
            self.running[name] = (runtime, nc)
        return self

    async def stop(self, *names: str) -> None:
        for name in names or tuple(self.running):
            runtime, nc = self.running.pop(name)
            await runtime.stop()
            await nc.close()
