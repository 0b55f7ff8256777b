"""Open handoffs (overdue first) and open support gaps."""

from datetime import date, timedelta

from services.monitoring.agenda.items import NOT_LISTED_AS_HANDOFFS, AgendaItem, to_do
from services.monitoring.casefile import CaseFile, Handoff
from services.runtime.directory import Municipality

def open_handoffs(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§4.4, never let a case fall between two organisations: every handoff nobody accepted yet
    (overdue first, then by due date) and every declined one, which needs another taker."""
    items = []
    for case in cases:
        flagged = case.language is not None and case.language.support_missing
        for handoff in case.handoffs.values():
            if handoff.kind in NOT_LISTED_AS_HANDOFFS or not (handoff.awaiting_answer or handoff.status == "declined"):
                continue
            items.append(_handoff_item(case, handoff, day, local, flagged))
    return tuple(sorted(items, key=lambda i: (not i.facts["overdue"], i.due or date.max, i.case_id)))


def _handoff_item(case: CaseFile, handoff: Handoff, day: date, local: Municipality, flagged: bool) -> AgendaItem:
    overdue = handoff.overdue_on(day)
    facts: dict[str, object] = {
        "handoff_id": handoff.handoff_id, "kind": handoff.kind, "requester": handoff.requester,
        "status": handoff.status, "overdue": overdue, "escalated_to": handoff.escalated_to,
        "language_support_missing": flagged,
    }
    if handoff.status == "declined":
        return AgendaItem(
            case.case_id, f"{handoff.owner} declined to {to_do(handoff.kind)}: {handoff.declined_reason}",
            f"find another organisation to {to_do(handoff.kind)}", local.coordinator, due=handoff.due,
            attention=True, facts=facts,
        )
    situation = f"{handoff.requester} asked {handoff.owner} on {handoff.requested_on.isoformat()}"
    if overdue:
        situation += f"; overdue since {(handoff.due + timedelta(days=1)).isoformat()}"
    if handoff.escalated_to:
        situation += f"; escalated to {handoff.escalated_to}"
    return AgendaItem(
        case.case_id, situation, to_do(handoff.kind), handoff.owner, due=handoff.due,
        days=(day - handoff.due).days if overdue else None, attention=overdue or flagged, facts=facts,
    )


def support_gaps(cases: list[CaseFile], day: date, local: Municipality) -> tuple[AgendaItem, ...]:
    """§4.2, §4.4: Nidos' support ended and nobody had taken over; how many days the gap is open,
    longest first. It closes when the successor accepts after all."""
    items = []
    for case in cases:
        for gap in case.open_gaps:
            successor = case.handoffs.get(gap.successor_handoff_id) if gap.successor_handoff_id else None
            situation = f"Nidos' support ended ({gap.reason}) on {gap.detected_on.isoformat()} and nobody had taken over"
            if successor is not None:
                step = f"get {successor.owner} to accept '{to_do(successor.kind)}' after all, or find another organisation"
            else:
                step = "find an organisation to take over the young person's support"
            items.append(
                AgendaItem(
                    case.case_id, situation, step, local.coordinator, days=(day - gap.detected_on).days, attention=True,
                    facts={"reason": gap.reason, "detected_on": gap.detected_on,
                           "successor": successor.owner if successor else None},
                )
            )
    return tuple(sorted(items, key=lambda i: (-(i.days or 0), i.case_id)))
