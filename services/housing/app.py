"""housing's wiring: the pure rules in rules.py, driven by partner reports, stored events and days."""

from services.housing.decider import decider
from services.runtime.application import build_app
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings


class HousingService(ServiceRuntime):
    decider = decider


def create_app(settings: Settings | None = None):
    return build_app(HousingService(settings or Settings()))
