"""intake's aggregate, the reunification application: what it reads, reacts to and stores.
Its rules (with their § docstrings) are in rules.py, its case in state.py."""

from services.intake import rules, state
from services.runtime.decider import Decider

decider = Decider.of(
    "intake", state, rules,
    reactions={},  # intake reacts to no stored event; it reads other services' facts when it decides
    folds=frozenset({
        "ResidencePermitGranted", "ApplicationFiled", "DnaTestOffered", "ApplicationDecided", "ParentsArrived",
        "FilingDeadlineApproaching", "FilingDeadlineMissed", "LanguageNeedsReported", "HandoffRequested",
        "GuardianshipTransferRequested", "EducationEnrolled",  # guardianship's facts
        "HousingAssigned", "FamilyRelocated",  # housing's facts: the family's municipality (who may report)
    }),
    emits=frozenset({
        "ResidencePermitGranted", "ApplicationFiled", "DnaTestOffered", "ApplicationDecided", "ParentsArrived",
        "LanguageNeedsReported", "FilingDeadlineApproaching", "FilingDeadlineMissed", "HandoffRequested",
    }),
)
