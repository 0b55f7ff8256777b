"""The handoff desk's web application: where a caseworker sees the organisation's tasks and answers
them, follows a case's timeline, and a coordinator watches its municipality.

- `api.py`: the JSON API under /api (Bearer token), its errors RFC 9457 problem details
  (`problems.py`); `pages.py`: the pages and sign-in (session cookie, CSRF token in every form),
  with HTML error pages; `agenda.py`: the coordinator's agenda of the integral meeting.
- `core.py` does the reads and writes behind both; `desk.py` decides what is shown, without I/O.
  An organisation sees a case only when `desk.can_see_case` says so; for anyone else the case
  does not exist (404).
- The OpenAPI description is at /openapi.json, its page at /docs, served without any CDN;
  /healthz says whether the desk is connected to NATS (for the container's healthcheck).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from services.desk.agenda import agenda_router
from services.desk.api import api_router
from services.desk.core import Desk
from services.desk.pages import Pages, pages_router
from services.desk.problems import install_problem_details


def create_web_app(the_desk: Desk) -> FastAPI:
    """The FastAPI application of the desk: the JSON API under /api, the pages around it."""
    app = FastAPIOffline(
        title="Warme Overdracht — handoff desk",
        version="1",
        description=(
            "The tasks of your organisation, along the HL7 FHIR Task states, and the cases they belong to. "
            "Authenticate with `Authorization: Bearer <your organisation's token>`. An answer is sent to notify as "
            "your organisation's report; the reply says whether it was recorded, refused (with the reason) or is "
            "still pending. Every error is `application/problem+json` (RFC 9457): `type`, `title`, `status`, "
            "`detail`; the problem types are listed in docs/api-errors.md."
        ),
    )
    install_problem_details(app)
    pages = Pages(the_desk)
    app.include_router(api_router(the_desk))
    app.include_router(pages_router(the_desk, pages))
    app.include_router(agenda_router(the_desk, pages))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")  # the pages' CSS

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Alive and connected to NATS (200), or not connected (503)."""
        connected = the_desk.nc.is_connected
        return JSONResponse({"service": "desk", "alive": connected}, status_code=200 if connected else 503)

    return app
