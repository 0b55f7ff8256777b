"""housing's aggregate, the family's home and the cohabitation duty, as one Decider
(services/runtime/decider.py).

The decisions and their § docstrings are in rules.py, the case they decide on in state.py; this
module is the one place that says what housing reads, reports, reacts to and stores.
"""

from services.housing import rules, state
from services.runtime.decider import Decider

decider = Decider(
    service="housing",
    initial=state.empty,
    evolve=state.apply,
    decide=rules.decide,
    on_day=rules.on_day,
    reactions={"EducationEnrolled": rules.react},  # §4.1: full-time education exempts from cohabitation
    folds=frozenset({
        "HousingAssigned", "FamilyRelocated", "CohabitationDutyStarted", "CohabitationExempted",
        "CohabitationDutyEnded",
        "ResidencePermitGranted", "ParentsArrived",  # intake's facts
        "EducationEnrolled",  # guardianship's fact
    }),
    emits=frozenset({
        "HousingAssigned", "FamilyRelocated", "CohabitationDutyStarted", "CohabitationExempted",
        "CohabitationDutyEnded", "HandoffRequested",
    }),
)
