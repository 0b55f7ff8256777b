"""The composition root: every service's Decider in one place, for what needs them all
(provisioning every consumer, NATS permissions, operator tools, the architecture document).

It sits above the services and below desk, ops and bench: a service never imports it.
"""

from services.guardianship.decider import decider as guardianship
from services.housing.decider import decider as housing
from services.intake.decider import decider as intake
from services.notify.decider import decider as notify
from services.runtime import provision
from services.runtime.decider import Decider
from services.runtime.provision import Consumer

DECIDERS: tuple[Decider, ...] = (intake, guardianship, housing, notify)


def decider_of(service: str) -> Decider:
    for decider in DECIDERS:
        if decider.service == service:
            return decider
    raise KeyError(f"no service {service!r}: one of {', '.join(d.service for d in DECIDERS)}")


def consumers() -> list[Consumer]:
    """Every durable consumer of the system, as the deciders declare them."""
    return provision.consumers(DECIDERS)
