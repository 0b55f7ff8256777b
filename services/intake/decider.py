"""intake's aggregate, the reunification application, as one Decider (services/runtime/decider.py).

The decisions and their § docstrings are in rules.py, the case they decide on in state.py; this
module is the one place that says what intake reads, reports, reacts to and stores.
"""

from services.intake import rules, state
from services.runtime.decider import Decider

decider = Decider(
    service="intake",
    initial=state.empty,
    evolve=state.apply,
    decide=rules.decide,
    on_day=rules.on_day,
    reactions={},  # intake reacts to no stored event; it reads other services' facts when it decides
    folds=frozenset({
        "ResidencePermitGranted", "ApplicationFiled", "DnaTestOffered", "ApplicationDecided", "ParentsArrived",
        "FilingDeadlineApproaching", "FilingDeadlineMissed", "LanguageNeedsReported", "HandoffRequested",
        "GuardianshipTransferRequested", "EducationEnrolled",  # guardianship's facts
    }),
    emits=frozenset({
        "ResidencePermitGranted", "ApplicationFiled", "DnaTestOffered", "ApplicationDecided", "ParentsArrived",
        "LanguageNeedsReported", "FilingDeadlineApproaching", "FilingDeadlineMissed", "HandoffRequested",
    }),
)
