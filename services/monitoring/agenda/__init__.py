"""The agenda of the integral meeting (source §4.1, §4.4): per municipality and as of a date, the
cases that need the table's attention, each with its concrete next step and who owns it.

Tilburg's chain partners (Nidos, VluchtelingenWerk, the RMC, the klantregisseurs and the schools)
meet every two weeks under the municipality's coordination "zodat ze zaken tijdig kunnen
signaleren en erop in kunnen zetten" (§4.1). This module gives them one shared picture, computed
from the events alone (`casefile`), so the agenda of any past meeting can be replayed. A
municipality sees only its own cases (`casefile.case_municipality`), by pseudonymous case id.

Pure: histories of events and the organisation directory in, an `Agenda` out; rendering is in
`services.monitoring.render`, reading the store in `ops.agenda`.

The sections are made in `turning18`, `reunification`, `handoffs` and `signals`, from the items of
`items`, and put together in `meeting`; every name is importable from here.
"""

from services.monitoring.agenda.handoffs import (
    open_handoffs,
    support_gaps,
)
from services.monitoring.agenda.items import (
    NOT_LISTED_AS_HANDOFFS,
    AgendaItem,
    to_do,
)
from services.monitoring.agenda.meeting import (
    MEETING_INTERVAL,
    SECTION_TITLES,
    Agenda,
    Section,
    agenda,
)
from services.monitoring.agenda.reunification import (
    PHASES,
    PHASE_TEXT,
    USUAL_COURT_DECISION,
    USUAL_IN_PHASE,
    phase_of,
    reunifications,
    usual_in_phase,
)
from services.monitoring.agenda.signals import (
    NETWORK_HANDOVERS,
    cohabitation_ending,
    language_needs,
    moves,
    school_absence,
)
from services.monitoring.agenda.turning18 import (
    turning_18,
)
