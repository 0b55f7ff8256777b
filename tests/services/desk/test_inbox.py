"""The inbox page at scale: at most 50 rows a page, filtered by status, kind and case, searched by
case, task, kind (in the page's language) or organisation name; the paging links keep the filters."""

from datetime import date, timedelta

from services.desk.i18n import language
from services.desk.inbox import PAGE_SIZE, InboxQuery, inbox_page
from services.notify.state import NotifyCase, Task

NL = language("nl")
TODAY = date(2026, 3, 1)


def cases(n: int) -> list[NotifyCase]:
    """`n` cases with one task each for gm0855: alternating kinds and statuses, one asked of wijkteam."""
    found = []
    for i in range(n):
        task = Task(
            task_id=f"task-{i:05}", kind=("plan-family-housing", "transition-18-plus")[i % 2], requester="nidos",
            owner="gm0855", due=TODAY + timedelta(days=i), municipality="GM0855",
            status=("requested", "accepted", "in-progress")[i % 3],
        )
        asked = Task(task_id=f"ask-{i:05}", kind="district-team-handover", requester="gm0855", owner="wijkteam-gm0855",
                     due=TODAY, municipality="GM0855", status="requested")
        found.append(NotifyCase(case_id=f"case-{i:05}", tasks={task.task_id: task, asked.task_id: asked}))
    return found


def test_at_most_50_rows_a_page_and_the_last_page_holds_the_rest() -> None:
    first = inbox_page("gm0855", cases(120), TODAY, InboxQuery(), NL)
    assert (len(first.items), first.total, first.pages, first.first_row, first.last_row) == (PAGE_SIZE, 120, 3, 1, 50)
    last = inbox_page("gm0855", cases(120), TODAY, InboxQuery(page=9), NL)
    assert (last.query.page, len(last.items), last.first_row, last.last_row) == (3, 20, 101, 120)


def test_filtered_by_status_kind_and_case() -> None:
    all_cases = cases(60)
    accepted = inbox_page("gm0855", all_cases, TODAY, InboxQuery(status="accepted"), NL)
    assert accepted.total == 20 and {i.task.status for i in accepted.items} == {"accepted"}
    housing = inbox_page("gm0855", all_cases, TODAY, InboxQuery(kind="plan-family-housing", status="requested"), NL)
    assert housing.total == 10 and {i.task.kind for i in housing.items} == {"plan-family-housing"}
    one = inbox_page("gm0855", all_cases, TODAY, InboxQuery(case="CASE-00042"), NL)
    assert [i.case_id for i in one.items] == ["case-00042"]


def test_searched_by_kind_in_dutch_or_organisation_name_and_the_asked_tab() -> None:
    all_cases = cases(10)
    assert inbox_page("gm0855", all_cases, TODAY, InboxQuery(q="gezinswoning"), NL).total == 5
    assert inbox_page("gm0855", all_cases, TODAY, InboxQuery(q="task-00003"), NL).total == 1
    asked = inbox_page("gm0855", all_cases, TODAY, InboxQuery(scope="asked", q="Wijkteam Tilburg"), NL)
    assert asked.total == 10 and {i.task.owner for i in asked.items} == {"wijkteam-gm0855"}
    assert inbox_page("gm0855", all_cases, TODAY, InboxQuery(q="nothing like it"), NL).total == 0


def test_the_query_of_a_request_ignores_what_it_does_not_know_and_its_links_keep_the_filters() -> None:
    query = InboxQuery.of({"status": "lost", "kind": "plan-family-housing", "page": "x", "scope": "all", "q": " a&b "})
    assert query == InboxQuery(kind="plan-family-housing", q="a&b")
    assert query.link(page=2) == "?scope=mine&kind=plan-family-housing&q=a%26b&page=2"
    assert query.link(scope="asked", page=1) == "?scope=asked&kind=plan-family-housing&q=a%26b"
