"""The handoff desk in a real headless Chromium (Debian's `chromium`, driven by Playwright), in Dutch:
a caseworker signs in, sees a task, accepts it, sees it move, and sees the case's timeline update;
English by the switch or the browser's language; every page passes axe-core (no serious or critical
finding), fits a 390 px wide phone without horizontal scrolling, and works with the keyboard alone.

Browsers cannot be downloaded here (`playwright install` does not work), so the test uses the
system's /usr/bin/chromium; `make test` installs it when missing (as root; otherwise it says what to
install). Without it this test FAILS, loudly."""

import os
import re
from datetime import date
from pathlib import Path

import httpx
import nats
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from ops.agenda import today
from tests.support.desk import TOKENS, day, desk_system, report, task_of
from tests.support.partner import new_case_id

pytestmark = pytest.mark.integration
CHROMIUM = os.environ.get("WO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
async def desk(broker_url):
    async with desk_system(broker_url) as (system, url):
        yield url


@pytest.fixture(scope="module")
async def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser test of the handoff desk cannot run. "
            "Install it with `apt-get install -y chromium` (`make test` does this as root), or set WO_CHROMIUM.",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def nc(broker_url):
    client = await nats.connect(broker_url)
    yield client
    await client.close()


@pytest.fixture
async def http(desk):
    async with httpx.AsyncClient(base_url=desk, timeout=30) as client:
        yield client


async def signed_in_page(browser: Browser, desk: str, org: str, **options):
    context = await browser.new_context(base_url=desk, locale="nl-NL", **options)  # a Dutch caseworker's browser
    page = await context.new_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await page.get_by_label("Organisatiesleutel").fill(TOKENS[org])
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page).to_have_url(re.compile(r"/inbox$"))
    await expect(page.locator("#signed-in-org")).to_have_attribute("data-org", org)
    return context, page


async def filed_case(nc, http, date_of_birth: str) -> tuple[str, dict]:
    """A new case in Tilburg with its application filed: gm0855 owns its transition-meeting task."""
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": date_of_birth, "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    return case_id, await task_of(http, "gm0855", case_id, "plan-transition-meeting")


async def test_a_caseworker_accepts_a_task_and_sees_it_move_and_the_timeline_update(browser, desk, http, nc) -> None:
    case_id, task = await filed_case(nc, http, "2011-07-07")
    context, page = await signed_in_page(browser, desk, "gm0855")
    try:
        await expect(page.locator("html")).to_have_attribute("lang", "nl")
        await expect(page.locator("#signed-in-org")).to_have_text("Gemeente Tilburg")
        await page.get_by_label("Dossier", exact=True).fill(case_id)  # the inbox filtered to this case
        await page.get_by_role("button", name="Filteren").click()
        row = page.locator(f"#tasks tr[data-task-id='{task['task_id']}']")
        await expect(row).to_contain_text("het multidisciplinaire overgangsoverleg plannen")
        await expect(row).to_contain_text(case_id)
        await expect(row).to_contain_text("Nidos")
        await expect(row).to_contain_text("wacht op antwoord")

        await row.get_by_role("button", name="Accepteren").click()

        await expect(page.get_by_role("status").filter(has_text="Taak geaccepteerd")).to_contain_text(
            "Taak geaccepteerd: het multidisciplinaire overgangsoverleg plannen")
        await expect(row).to_have_attribute("data-status", "accepted")
        await expect(row).to_contain_text("geaccepteerd")
        await expect(row.get_by_role("button", name="Starten")).to_be_visible()

        await row.get_by_role("link", name=case_id).click()
        await expect(page).to_have_url(re.compile(rf"/cases/{case_id}$"))
        last = page.locator("#timeline tbody tr").last
        await expect(last).to_contain_text("Gemeente Tilburg heeft de taak geaccepteerd")
        await expect(last).to_contain_text("het multidisciplinaire overgangsoverleg plannen")
        await expect(page.locator("#timeline")).to_contain_text("verblijfsvergunning verleend op 5 januari 2026 (woont in Tilburg)")
        await expect(page.locator("#responsible")).to_contain_text("Nidos")

        case_row = page.locator(f"#case-tasks tr[data-task-id='{task['task_id']}']")
        await case_row.get_by_role("button", name="Starten").click()
        await expect(case_row).to_have_attribute("data-status", "in-progress")
        await expect(case_row).to_contain_text("in behandeling")
        await expect(page.locator("#timeline tbody tr").last).to_contain_text("Gemeente Tilburg is met de taak begonnen")
    finally:
        await context.close()


async def test_a_caseworker_ticks_the_18_plus_checklist_and_a_stranger_sees_nothing_of_the_case(browser, desk, http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2008-08-01", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await day(nc, http, date(2026, 2, 1))
    task = await task_of(http, "gm0855", case_id, "transition-18-plus")
    context, page = await signed_in_page(browser, desk, "gm0855")
    try:
        await page.goto(f"/inbox?case={case_id}")
        await page.locator(f"#tasks tr[data-task-id='{task['task_id']}']").get_by_role("link", name="de overgang naar 18+ regelen").click()
        await expect(page).to_have_url(re.compile(rf"/cases/{case_id}/tasks/{task['task_id']}$"))
        detail = page.locator("#task")
        await page.get_by_label("Reden om af te wijzen").fill("no")  # too short: the browser keeps the form, nothing is sent
        await page.get_by_role("button", name="Afwijzen").click()
        await expect(detail).to_have_attribute("data-status", "requested")

        await page.get_by_role("button", name="Accepteren").click()
        await expect(detail).to_have_attribute("data-status", "accepted")
        digid = page.locator("ul.checklist li", has_text="digid")
        await digid.get_by_role("button", name="Afvinken").click()
        await expect(page.get_by_role("status").filter(has_text="afgevinkt")).to_contain_text("'digid' afgevinkt")
        await expect(digid).to_contain_text("☑")
        await expect(digid.get_by_role("button", name="Afvinken")).to_have_count(0)
        await expect(page.get_by_role("button", name="Afronden")).to_have_count(0)  # six items still open

        await page.goto(f"/cases/{case_id}")
        await expect(page.locator("#timeline tbody tr").last).to_contain_text("Gemeente Tilburg heeft 'digid' op de checklist afgevinkt")

        other, stranger = await signed_in_page(browser, desk, "vwn-gm0518")
        try:
            await stranger.goto(f"/cases/{case_id}")
            await expect(stranger.get_by_role("alert")).to_contain_text("hoort niet bij de dossiers van uw organisatie")
            await expect(stranger.locator("#timeline")).to_have_count(0)
        finally:
            await other.close()
    finally:
        await context.close()


async def test_english_by_the_switch_or_the_browsers_language(browser, desk) -> None:
    context = await browser.new_context(base_url=desk, locale="en-GB", extra_http_headers={"Accept-Language": "en-GB,en;q=0.9"})
    try:
        page = await context.new_page()
        await page.goto("/signin")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        await page.get_by_role("link", name="Nederlands").click()
        await expect(page.locator("html")).to_have_attribute("lang", "nl")
        await page.goto("/signin")  # the switch is remembered (cookie) over the browser's language
        await expect(page.get_by_role("button", name="Inloggen")).to_be_visible()
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    finally:
        await context.close()


PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("WO_DESK_SCREENSHOTS", "")  # a folder: the pages are saved there as PNGs (docs/desk.md)


async def serious_findings(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page (axe.min.js ships in the package)."""
    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


async def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Press Tab until the element `selector` has the focus, as a keyboard user would."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_every_page_is_accessible_fits_a_phone_and_works_by_keyboard(browser, desk, http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2008-09-01", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    # the 18+ task overdue and escalated, support ended at 18 with nobody; not before the calendar
    # date, which tests/integration/test_agenda_page.py takes for the desk's today
    await day(nc, http, max(date(2026, 9, 2), today()))
    task = await task_of(http, "gm0855", case_id, "plan-transition-meeting")
    pages = {
        "signin": ("nidos", "/signin"),
        "inbox": ("gm0855", f"/inbox?case={case_id}"),
        "task": ("gm0855", f"/cases/{case_id}/tasks/{task['task_id']}"),
        "timeline": ("gm0855", f"/cases/{case_id}"),
        "coordinator": ("regie-gm0855", "/coordinator"),
        "agenda": ("regie-gm0855", "/coordinator/agenda"),
        "error": ("vwn-gm0518", f"/cases/{case_id}"),
    }
    findings, widths = {}, {}
    for name, (org, path) in pages.items():
        for viewport in ({"width": 1280, "height": 900}, PHONE):
            context, page = await signed_in_page(browser, desk, org, viewport=viewport)
            try:
                if name == "signin":
                    await page.get_by_role("button", name="Uitloggen").click()
                await page.goto(path)
                await expect(page.locator("html")).to_have_attribute("lang", "nl")
                await expect(page.locator("main h1, main [role=alert]").first).to_be_visible()
                findings[name, viewport["width"]] = await serious_findings(page)
                widths[name, viewport["width"]] = await overflow(page)
                if SCREENSHOTS and name in ("inbox", "timeline", "coordinator"):
                    suffix = "-mobiel" if viewport == PHONE else ""
                    await page.screenshot(path=f"{SCREENSHOTS}/desk-{name}{suffix}.png", full_page=True)
            finally:
                await context.close()
    print("axe serious/critical findings:", findings, "overflow px:", widths)
    assert all(not found for found in findings.values()), findings
    assert all(px <= 0 for px in widths.values()), widths


async def test_a_caseworker_signs_in_and_accepts_a_task_with_the_keyboard_alone(browser, desk, http, nc) -> None:
    case_id, task = await filed_case(nc, http, "2011-03-03")
    context = await browser.new_context(base_url=desk, viewport=PHONE, locale="nl-NL")
    try:
        page = await context.new_page()
        await page.goto("/signin")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Direct naar de inhoud"  # the skip link first
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == "content"
        await tab_to(page, "#token")
        await page.keyboard.type(TOKENS["gm0855"])
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(r"/inbox$"))

        await tab_to(page, "#filter-case")
        await page.keyboard.type(case_id)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"case={case_id}"))
        await tab_to(page, f"tr[data-task-id='{task['task_id']}'] button[value=accept]")
        name = await page.evaluate("document.activeElement.textContent")
        assert case_id in name and "Accepteren" in name  # a name of its own, not one "Accepteren" of many
        await page.keyboard.press("Enter")
        row = page.locator(f"#tasks tr[data-task-id='{task['task_id']}']")
        await expect(row).to_have_attribute("data-status", "accepted")
        await tab_to(page, f"tr[data-task-id='{task['task_id']}'] a[href='/cases/{case_id}/tasks/{task['task_id']}']")
        await page.keyboard.press("Enter")
        await expect(page.locator("#task")).to_have_attribute("data-status", "accepted")
    finally:
        await context.close()
