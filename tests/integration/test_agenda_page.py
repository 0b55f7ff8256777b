"""The coordinator's agenda page on the handoff desk, against the real services on a real nats-server:
only a municipality's coordinator sees it, only with its own cases, and what people typed is escaped."""

from datetime import timedelta

import httpx
import nats
import pytest

from ops.agenda import today
from tests.support.desk import TOKENS, auth, day, desk_system, report, task_of
from tests.support.partner import new_case_id

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def desk(broker_url):
    async with desk_system(broker_url) as (system, url):
        yield url


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


async def signed_in(desk: str, org: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=desk, timeout=60)
    assert (await client.post("/signin", data={"token": TOKENS[org]})).status_code == 303
    return client


async def test_the_coordinator_sees_the_agenda_of_its_own_cases_escaped(desk, nc) -> None:
    filed_on = (today() - timedelta(days=40)).isoformat()
    tilburg, den_haag = new_case_id(), new_case_id()
    for case_id, code in ((tilburg, "GM0855"), (den_haag, "GM0518")):
        await report(nc, "nidos", "ResidencePermitGranted", case_id,
                     {"date_of_birth": "2012-06-06", "municipality": code, "permit_date": filed_on})
        await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": filed_on})
    async with httpx.AsyncClient(base_url=desk, timeout=60) as api:
        await day(nc, api, today())  # the desk's today is the calendar date, whatever day a test before started
        housing = await task_of(api, "gm0855", tilburg, "plan-family-housing")
        declined = await api.post(f"/api/cases/{tilburg}/tasks/{housing['task_id']}/decline", headers=auth("gm0855"),
                                  json={"reason": "<script>alert('x')</script> no homes"})
        assert declined.status_code == 200, declined.text

    coordinator = await signed_in(desk, "regie-gm0855")
    try:
        assert 'href="/coordinator/agenda"' in (await coordinator.get("/coordinator")).text
        page = await coordinator.get("/coordinator/agenda")
        assert page.status_code == 200
        assert "Integral meeting Tilburg (GM0855)" in page.text and tilburg in page.text
        assert den_haag not in page.text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; no homes" in page.text
        assert "<script>alert" not in page.text

        data = (await coordinator.get("/coordinator/agenda", params={"format": "json"})).json()
        assert (data["municipality"], data["as_of"]) == ("GM0855", today().isoformat())
        [item] = [i for s in data["sections"] if s["key"] == "open-handoffs" for i in s["items"]
                  if i["case_id"] == tilburg and i["facts"]["status"] == "declined"]
        assert item["owner"] == "regie-gm0855"
        earlier = (await coordinator.get("/coordinator/agenda", params={"format": "json", "date": "2020-01-01"})).json()
        assert earlier["cases"] == 0  # replayed as of a day before any of these cases
        markdown = await coordinator.get("/coordinator/agenda", params={"format": "md"})
        assert markdown.text.startswith("# Integral meeting Tilburg (GM0855)")
        assert (await coordinator.get("/coordinator/agenda", params={"date": "soon"})).status_code == 422
    finally:
        await coordinator.aclose()


async def test_nobody_else_sees_an_agenda(desk) -> None:
    async with httpx.AsyncClient(base_url=desk, timeout=60) as anonymous:
        assert (await anonymous.get("/coordinator/agenda")).headers["location"] == "/signin"
    for org in ("gm0855", "wijkteam-gm0855", "nidos"):
        client = await signed_in(desk, org)
        try:
            refused = await client.get("/coordinator/agenda", params={"format": "json"})
            assert refused.status_code == 403 and "ketenregisseur" in refused.text, org
        finally:
            await client.aclose()
    other = await signed_in(desk, "regie-gm0518")
    try:
        page = (await other.get("/coordinator/agenda")).text
        assert "Integral meeting Den Haag (GM0518)" in page and "Tilburg" not in page
    finally:
        await other.aclose()
