"""The inbox page at scale: the organisation's open tasks (or those it asked others for), filtered
by status, kind and case, searched, and paged at most PAGE_SIZE rows at a time. Only the rows of
the page shown become views; filtering works on the read model's tasks (`desk.open_tasks`)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from services.desk import desk
from services.desk.i18n import Language
from services.desk.texts import KINDS, OPEN_STATUSES, kind_text, org_name
from services.notify.state import NotifyCase

PAGE_SIZE = 50
SCOPES = ("mine", "asked")


@dataclass(frozen=True)
class InboxQuery:
    scope: str = "mine"  # "mine": tasks the organisation owns; "asked": open tasks it asked others for
    status: str = ""
    kind: str = ""
    case: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> "InboxQuery":
        """The query of a request's parameters; anything unknown is ignored, not refused."""
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        scope, status, kind = params.get("scope", ""), params.get("status", ""), params.get("kind", "")
        return cls(
            scope=scope if scope in SCOPES else "mine",
            status=status if status in OPEN_STATUSES else "",
            kind=kind if kind in KINDS else "",
            case=params.get("case", "").strip()[:100],
            q=params.get("q", "").strip()[:100],
            page=page,
        )

    def link(self, **changes: object) -> str:
        """The query string of this query with `changes` (the paging links keep the filters)."""
        values = {**self.__dict__, **changes}
        kept = {key: value for key, value in values.items() if value not in ("", None) and not (key == "page" and value == 1)}
        return "?" + urlencode(kept)


@dataclass(frozen=True)
class InboxPage:
    query: InboxQuery
    items: list[desk.InboxItem]  # the rows of this page
    total: int  # rows matching the query, over every page
    pages: int

    @property
    def first_row(self) -> int:
        return (self.query.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.items) - 1 if self.items else 0


def _matches(item: desk.InboxItem, query: InboxQuery, lang: Language) -> bool:
    task = item.task
    if (query.status and task.status != query.status) or (query.kind and task.kind != query.kind):
        return False
    if query.case and query.case.lower() not in item.case_id.lower():
        return False
    if not query.q:
        return True
    wanted = query.q.lower()
    return any(
        wanted in text.lower()
        for text in (item.case_id, task.task_id, task.kind, kind_text(task.kind, lang), task.requester, task.owner,
                     org_name(task.requester, lang), org_name(task.owner, lang))
    )


def inbox_page(org: str, cases: Iterable[NotifyCase], today: date | None, query: InboxQuery, lang: Language) -> InboxPage:
    """The page of `org`'s inbox that `query` asks for (the last page if it asks for one beyond)."""
    select = desk.requested_tasks if query.scope == "asked" else desk.open_tasks
    found = [item for item in select(org, cases, today) if _matches(item, query, lang)]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(query.page, pages)
    query = InboxQuery(**{**query.__dict__, "page": page})
    return InboxPage(query, found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], len(found), pages)
