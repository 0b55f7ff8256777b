"""housing, declared: the family's home and the cohabitation duty (rules.py, state.py)."""

from services.housing import rules, state
from services.runtime.decider import Decider

decider = Decider.of(
    "housing", state, rules,
    reactions={"EducationEnrolled": rules.react},  # §4.1: full-time education exempts from cohabitation
    folds=frozenset({
        "HousingAssigned", "FamilyRelocated", "CohabitationDutyStarted", "CohabitationExempted",
        "CohabitationDutyEnded",
        "ResidencePermitGranted", "ParentsArrived",  # intake's facts
        "ApplicationDecided",  # intake's fact: approved, COA receives the parents (who may report)
        "EducationEnrolled",  # guardianship's fact
    }),
    emits=frozenset({
        "HousingAssigned", "FamilyRelocated", "CohabitationDutyStarted", "CohabitationExempted",
        "CohabitationDutyEnded", "HandoffRequested",
    }),
)
