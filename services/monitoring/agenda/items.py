"""What every section of the agenda lists: an item (a case, its situation, the next step and who
owns it), the words for a handoff's step, and the handoffs the agenda shows elsewhere."""

from dataclasses import dataclass, field
from datetime import date

from services.monitoring.timeline import KIND_TEXT

# Handoffs the agenda shows elsewhere: an escalation as a flag on the handoff it escalates, the
# coordinator's support-gap task as the gap itself.
NOT_LISTED_AS_HANDOFFS = frozenset({"escalation", "support-gap"})


@dataclass(frozen=True)
class AgendaItem:
    """One case on the agenda: what is going on, what happens next and who does it."""

    case_id: str
    situation: str
    next_step: str
    owner: str
    due: date | None = None
    days: int | None = None  # days overdue, open or in the phase, as the section says
    attention: bool = False  # overdue, stuck, a gap, a need nobody arranged
    facts: dict[str, object] = field(default_factory=dict)


def to_do(kind: str) -> str:
    return KIND_TEXT.get(kind, kind)
