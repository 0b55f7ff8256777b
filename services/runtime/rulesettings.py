"""The numbers of the rules that no source gives: local policy, set in the organisation directory.

The source document (../shared/domain/gezinshereniging-amv-gemeenten.txt) gives a few figures
(three months to file, one year of cohabitation, about three months for the court); those stay
constants beside their rule. Every other lead time, due date and look-ahead is a choice of the
municipalities and their partners, so it is a setting here, with a default: a `settings:` block at
the top of deploy/organisations.yaml for every municipality, and optionally a `settings:` block in
one municipality's entry that overrides some of them. docs/rules.md lists every rule's numbers with
their source and this place; tests/docs/test_rules_doc.py keeps the two in step.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Weeks = Annotated[int, Field(ge=1, le=104)]
Months = Annotated[int, Field(ge=1, le=17)]
ChecklistItem = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,59}$")]


class RuleSettings(BaseModel):
    """Local policy: every number a rule uses that the source document does not give."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # intake
    filing_warning_weeks: Weeks = 4  # the filing task, this long before the 3-month deadline
    transition_meeting_lead_weeks: Weeks = 4  # the transition meeting is due this long after filing
    family_housing_lead_weeks: Weeks = 8  # the search for a family home is due this long after filing
    arrival_tasks_lead_weeks: Weeks = 4  # the brede intake/PIP and social guidance, after the arrival
    petition_expected_within_weeks: Weeks = 6  # no court petition this long after the arrival: a task
    petition_task_lead_weeks: Weeks = 2  # ... due this long after it was expected
    # guardianship
    aftercare_lead_weeks: Weeks = 8  # aftercare is due this long after the court petition
    transition_18_start_months: Months = 6  # the 18+ handoff, this many months before the 18th birthday
    transition_18_due_months: Months = 3  # ... due this many months before it
    relief_due_weeks: Weeks = 2  # relief of a young carer after school absence
    gap_due_weeks: Weeks = 1  # the coordinator's task to close a support gap
    checklist_18_plus: tuple[ChecklistItem, ...] = Field(
        default=(
            "income-studiefinanciering",
            "health-insurance-zorgtoeslag",
            "rent-huurtoeslag",
            "digid",
            "bank-account",
            "housing-after-18",
            "inburgering-status",
        ),
        min_length=1,
    )
    # housing
    move_handover_due_weeks: Weeks = 4  # the network handovers after a move to another municipality
    # notify
    escalation_due_weeks: Weeks = 1  # the own coordinator's escalation task; then the integral meeting's
    escalation_integral_due_weeks: Weeks = 2  # the integral meeting's escalation task (it meets every two weeks)
    # monitoring: how long a reunification usually stays in a phase before the table asks why
    usual_wait_for_decision_weeks: Weeks = 26
    usual_dna_test_weeks: Weeks = 17
    usual_journey_after_approval_weeks: Weeks = 13
    cohabitation_ending_within_weeks: Weeks = 12  # the table sees the end of the cohabitation year coming

    @model_validator(mode="after")
    def _due_after_start(self) -> "RuleSettings":
        if self.transition_18_due_months >= self.transition_18_start_months:
            raise ValueError(
                "transition_18_due_months must be fewer than transition_18_start_months "
                "(the 18+ handoff is due after it is requested)"
            )
        if len(set(self.checklist_18_plus)) != len(self.checklist_18_plus):
            raise ValueError("checklist_18_plus names an item twice")
        return self


DEFAULTS = RuleSettings()
