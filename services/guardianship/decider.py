"""The young person's support (guardianship's aggregate) declared for the runtime; the rules that
guard its continuity live in rules.py, the case they decide on in state.py."""

from services.guardianship import rules, state
from services.runtime.decider import Decider

decider = Decider.of(
    "guardianship", state, rules,
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
