"""The agenda of the integral meeting on the desk (README "Chain monitoring", services/monitoring):
a municipality's coordinator finds it at /coordinator/agenda (`?date=`, `?since=`,
`?format=html|md|json`), computed from every stored event as of the desk's today."""

from datetime import date

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response

from services.desk import desk
from services.desk.core import Desk
from services.desk.pages import Pages
from services.monitoring.agenda import agenda
from services.monitoring.render import agenda_data, to_html_fragment, to_markdown
from services.monitoring.store import load_histories
from services.runtime.directory import load_directory
from services.runtime.settings import Settings


def agenda_router(the_desk: Desk, pages: Pages) -> APIRouter:
    """The coordinator's agenda page."""
    router = APIRouter()
    render, page_session, to_signin = pages.render, pages.session, pages.to_signin
    agenda_directory: list = []  # the organisation directory, loaded on first use

    async def meeting_agenda(org: str, on: str, since: str):
        """The agenda of the municipality `org` coordinates, from every stored event, as of `on`
        (default: the desk's today); 403 for anyone but a coordinator."""
        code = desk.coordinated_municipality(org)
        if code is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only a municipality's coordinator (regie-gm…) has the agenda")
        try:
            as_of = date.fromisoformat(on) if on else the_desk.clock.today()[0]
            previous = date.fromisoformat(since) if since else None
        except ValueError:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "date and since are days like 2026-09-15") from None
        if not agenda_directory:
            agenda_directory.append(load_directory(Settings().directory or None))
        try:
            return agenda(await load_histories(the_desk.nc), code, as_of, agenda_directory[0], previous)
        except ValueError as exc:  # a coordinator of a municipality the directory does not know
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None

    @router.get("/coordinator/agenda", include_in_schema=False)
    async def agenda_page(request: Request) -> Response:
        """The coordinator's agenda for the integral meeting; ?date=, ?since=, ?format=html|md|json."""
        session = page_session(request)
        if session is None:
            return to_signin()
        query = request.query_params
        try:
            found = await meeting_agenda(session.org, query.get("date", ""), query.get("since", ""))
        except HTTPException as exc:
            return pages.error(request, session, exc)
        no_store = {"Cache-Control": "no-store"}
        if query.get("format") == "json":
            return JSONResponse(agenda_data(found), headers=no_store)
        if query.get("format") == "md":
            return Response(to_markdown(found), media_type="text/markdown; charset=utf-8", headers=no_store)
        return render(request, "agenda.html", session, agenda=found, fragment=to_html_fragment(found))

    return router
