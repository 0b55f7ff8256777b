"""guardianship's aggregate, the young person's support, as one Decider (services/runtime/decider.py).

The decisions and their § docstrings are in rules.py, the case they decide on in state.py; this
module is the one place that says what guardianship reads, reports, reacts to and stores.
"""

from services.guardianship import rules, state
from services.runtime.decider import Decider

decider = Decider(
    service="guardianship",
    initial=state.empty,
    evolve=state.apply,
    decide=rules.decide,
    on_day=rules.on_day,
    reactions={"HandoffAccepted": rules.react},  # §4.4: a successor's late acceptance closes the gap
    folds=frozenset({
        "GuardianAssigned", "EducationEnrolled", "SchoolAbsenceReported", "GuardianshipTransferRequested",
        "GuardianshipTransferred", "Turned18", "SupportExtended", "SupportEnded", "SupportGapDetected",
        "SupportGapClosed", "HandoffRequested",
        "ResidencePermitGranted", "ParentsArrived",  # intake's facts
        "HousingAssigned", "FamilyRelocated",  # housing's facts
        "HandoffAccepted", "HandoffDeclined",  # notify's facts
    }),
    emits=frozenset({
        "GuardianAssigned", "EducationEnrolled", "SchoolAbsenceReported", "GuardianshipTransferRequested",
        "GuardianshipTransferred", "Turned18", "SupportExtended", "SupportEnded", "SupportGapDetected",
        "SupportGapClosed", "HandoffRequested",
    }),
)
