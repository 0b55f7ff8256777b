"""notify's Decider: the tasks of a case along the FHIR Task lifecycle. Delivering a task is the side
effect the runtime runs before storing HandoffNotified (services/notify/app.py); rules.py decides."""

from services.notify import rules, state
from services.runtime.decider import Decider

ANSWERS = frozenset({
    "HandoffAccepted", "HandoffDeclined", "HandoffStarted", "HandoffCompleted", "HandoffCancelled",
    "ChecklistItemChecked",
})

decider = Decider.of(
    "notify", state, rules,
    reactions={
        "HandoffRequested": rules.react,  # §4.1: a handoff request becomes a delivered task
        "Turned18": rules.react,  # §2.3: at 18 an open court-petition task is closed with the reason
    },
    folds=frozenset({
        "HandoffRequested", "HandoffNotified", "HandoffEscalated", "HandoffOverdue", *ANSWERS,
        "ResidencePermitGranted", "ParentsArrived", "LanguageNeedsReported",  # intake's facts
        "HousingAssigned", "FamilyRelocated",  # housing's facts
        "SupportGapDetected", "SupportGapClosed", "Turned18",  # guardianship's facts
    }),
    emits=frozenset({"HandoffNotified", "HandoffEscalated", "HandoffOverdue", "HandoffRequested", *ANSWERS}),
)
