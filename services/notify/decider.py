"""notify's aggregate, the tasks of a case along the FHIR Task lifecycle, as one Decider
(services/runtime/decider.py).

The decisions and their § docstrings are in rules.py, the case they decide on in state.py; this
module is the one place that says what notify reads, reports, reacts to and stores. Delivering a
task (webhook, amv.tasks.<owner>.…) is the side effect the runtime runs before storing
HandoffNotified (services/notify/app.py).
"""

from services.notify import rules, state
from services.runtime.decider import Decider

ANSWERS = frozenset({
    "HandoffAccepted", "HandoffDeclined", "HandoffStarted", "HandoffCompleted", "HandoffCancelled",
    "ChecklistItemChecked",
})

decider = Decider(
    service="notify",
    initial=state.empty,
    evolve=state.apply,
    decide=rules.decide,
    on_day=rules.on_day,
    reactions={
        "HandoffRequested": rules.react,  # §4.1: a handoff request becomes a delivered task
        "Turned18": rules.react,  # §2.3: at 18 an open court-petition task is closed with the reason
    },
    folds=frozenset({
        "HandoffRequested", "HandoffNotified", "HandoffEscalated", *ANSWERS,
        "ResidencePermitGranted", "ParentsArrived", "LanguageNeedsReported",  # intake's facts
        "HousingAssigned", "FamilyRelocated",  # housing's facts
        "SupportGapDetected", "SupportGapClosed", "Turned18",  # guardianship's facts
    }),
    emits=frozenset({"HandoffNotified", "HandoffEscalated", "HandoffRequested", *ANSWERS}),
)
