"""Why a report is refused: every code a partner can find in Wo-Error-Code, and the Rejection that
carries one. Shared by the inbox gate (contracts/inbox.py), the clock (contracts/clock.py) and
every service's rules; the inbox re-exports both names.
"""

from dataclasses import dataclass

# Every code a partner can find in Wo-Error-Code, with what it means and what to do.
REJECTION_CODES: dict[str, str] = {
    # the message itself (the inbox gate)
    "subject-malformed": "The subject is not amv.inbox.<org>.<EventType>.",
    "unknown-organisation": "The <org> in the subject is not an organisation id of any known kind.",
    "too-large": "The message is larger than the inbox accepts (WO_MAX_MESSAGE_BYTES, 64 KiB by default). "
    "The rejection carries no body (your message is not echoed); Wo-Original-Bytes says how large it was.",
    "not-json": "The body is not a JSON document in UTF-8.",
    "too-deep": "The JSON nests objects and arrays deeper than 32 levels.",
    "envelope-invalid": "The CloudEvent envelope is wrong: a missing, unknown or malformed attribute (Wo-Error-Field names it).",
    "unknown-event-type": "The CloudEvent type is not an event partners can report.",
    "type-mismatch": "The CloudEvent type names another event type than the subject.",
    "source-mismatch": "The CloudEvent source is not urn:nld:warmeoverdracht:org:<the org in the subject>.",
    "not-authorised": "Organisations of this kind may not report this event type.",
    "unknown-version": "The version suffix of the CloudEvent type is not one the inbox accepts.",
    "version-retired": "This version of the event type is no longer accepted: send the current version.",
    "data-invalid": "The event's data is wrong: a missing field, an unknown field (possibly personal data), a wrong type or date.",
    "out-of-range": "A date (or the CloudEvent time) lies outside its plausible range (docs/partners.md, 'Plausible dates'): "
    "Wo-Error-Field names the field, the reason the bound.",
    "personal-data": "A free-text field looks like it holds a BSN, V-nummer, e-mail address or phone number: "
    "free text may not hold personal data. Wo-Error-Field names the field, the reason the kind.",
    # the case (the owning service's rules)
    "unknown-case": "The case has no residence permit yet: report ResidencePermitGranted first.",
    "out-of-order": "The fact does not fit the case's history (e.g. a decision before an application).",
    "duplicate-fact": "The case already has this fact; a change is reported with its own event.",
    "id-conflict": "Your organisation used this event id before for a different report: an id names one report. "
    "Sending the very same report again is harmless; a correction needs a new id.",
    "unknown-municipality": "The municipality is not in the organisation directory.",
    "not-involved": "Your organisation has no role in this case that may report this event (docs/partners.md, "
    "'Who may report about a case'): e.g. a municipality reporting a move of a family that does not live there. "
    "Wo-Error-Field is 'source'; the reason names the roles that may report it.",
    # tasks (notify)
    "unknown-task": "The case has no task with this task_id (or it is not delivered yet).",
    "not-owner": "Only the organisation that owns the task may answer it.",
    "not-requester": "Only the organisation that requested the task may cancel it.",
    "illegal-transition": "The task's status does not allow this answer (e.g. completing a task not accepted).",
    "unknown-checklist-item": "The task's checklist has no such item.",
    "already-ticked": "The checklist item is ticked already.",
    "checklist-open": "The task cannot be completed while checklist items are open.",
    # the system
    "processing-failed": "The report could not be processed after every retry; an operator looks at it.",
}


@dataclass(frozen=True)
class Rejection:
    """Why a report was refused: a stable machine code, the field concerned, and a human reason."""

    code: str
    reason: str
    field: str | None = None
    # True when the missing fact is another service's and may simply not be stored yet: the
    # report is retried for a while before it is refused.
    awaits_other_service: bool = False
    # True when the missing fact is an earlier report to the same service: in order that cannot
    # be missing, except just after a crash, when the report the crashed process held comes back
    # (after ack_wait) behind later ones. The service then retries until that window has passed.
    awaits_earlier_report: bool = False

    def __post_init__(self) -> None:
        # The promise to partners: the reason names the field. A rule that phrases it otherwise
        # ("case x is unknown", field "subject") gets the field put in front.
        if self.field and self.field != "(message)" and f"'{self.field}'" not in self.reason:
            object.__setattr__(self, "reason", f"field '{self.field}': {self.reason}")
