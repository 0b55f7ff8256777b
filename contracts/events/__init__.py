"""The domain events: the `data` of a CloudEvent, one pydantic model per event type and version.

One module per concept, all importable from here as before (`from contracts.events import X`):
`base` (DomainEvent, personal data, shared value types), the events of `intake`,
`guardianship`, `housing`, `handoffs`, `tasks` and `days`, their `registry` (EVENT_TYPES),
their earlier `versions` and how a stored event is read (`data_of`), and the `envelopes` that
carry them (`derive`, `derive_on_day`, `report`).
"""

from contracts.events.base import (
    ALL_PARTNERS,
    PERSONAL_DATA,
    Decision,
    DomainEvent,
    EducationLevel,
    HandoffKind,
    HousingKind,
    PersonalDate,
    SupportEnd,
    personal_fields,
)
from contracts.events.intake import (
    ApplicationDecided,
    ApplicationFiled,
    DnaTestOffered,
    FilingDeadlineApproaching,
    FilingDeadlineMissed,
    LanguageCode,
    LanguageNeeds,
    LanguageNeedsReported,
    ParentsArrived,
    ResidencePermitGranted,
)
from contracts.events.guardianship import (
    EducationEnrolled,
    GuardianAssigned,
    GuardianshipTransferRequested,
    GuardianshipTransferred,
    SchoolAbsenceReported,
    SupportEnded,
    SupportExtended,
    SupportGapClosed,
    SupportGapDetected,
    Turned18,
)
from contracts.events.housing import (
    CohabitationDutyEnded,
    CohabitationDutyStarted,
    CohabitationExempted,
    FamilyRelocated,
    HousingAssigned,
)
from contracts.events.handoffs import (
    ChecklistItemChecked,
    HandoffAccepted,
    HandoffCancelled,
    HandoffCompleted,
    HandoffDeclined,
    HandoffEscalated,
    HandoffNotified,
    HandoffOverdue,
    HandoffRequested,
    HandoffStarted,
)
from contracts.events.tasks import (
    TASK_CHANGES,
    ChecklistItemTicked,
    TaskAccepted,
    TaskAcceptedNotice,
    TaskCancelled,
    TaskCancelledNotice,
    TaskChangeKind,
    TaskCompleted,
    TaskCompletedNotice,
    TaskDeclined,
    TaskDeclinedNotice,
    TaskEscalatedNotice,
    TaskOpened,
    TaskOpenedNotice,
    TaskOverdueNotice,
    TaskStarted,
    TaskStartedNotice,
)
from contracts.events.days import DayStarted
from contracts.events.registry import EVENT_TYPES, event_class, inbox_types
from contracts.events.envelopes import derive, derive_on_day, report
from contracts.events.versions import data_of
