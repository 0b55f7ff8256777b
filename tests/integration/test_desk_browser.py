"""The handoff desk in a real headless Chromium (Debian's `chromium`, driven by Playwright): a
caseworker signs in, sees a task, accepts it, sees it move, and sees the case's timeline update.

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
from playwright.async_api import Browser, async_playwright, expect

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


async def signed_in_page(browser: Browser, desk: str, org: str):
    context = await browser.new_context(base_url=desk)
    page = await context.new_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await page.get_by_label("Organisation token").fill(TOKENS[org])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/inbox$"))
    await expect(page.locator("#signed-in-org")).to_have_text(org)
    return context, page


async def test_a_caseworker_accepts_a_task_and_sees_it_move_and_the_timeline_update(browser, desk, http, nc) -> None:
    case_id = new_case_id()
    await report(nc, "nidos", "ResidencePermitGranted", case_id,
                 {"date_of_birth": "2011-07-07", "municipality": "GM0855", "permit_date": "2026-01-05"})
    await report(nc, "nidos", "ApplicationFiled", case_id, {"filed_on": "2026-01-20"})
    task = await task_of(http, "gm0855", case_id, "plan-transition-meeting")
    context, page = await signed_in_page(browser, desk, "gm0855")
    try:
        waiting = page.locator(f"#to-answer tr[data-task-id='{task['task_id']}']")
        await expect(waiting).to_contain_text("plan the multidisciplinary transition meeting")
        await expect(waiting).to_contain_text(case_id)
        await expect(waiting).to_contain_text("nidos")

        await waiting.get_by_role("button", name="Accept").click()

        await expect(page.get_by_role("status")).to_contain_text("Task accepted: plan the multidisciplinary transition meeting")
        await expect(waiting).to_have_count(0)
        in_care = page.locator(f"#in-care tr[data-task-id='{task['task_id']}']")
        await expect(in_care).to_have_attribute("data-status", "accepted")
        await expect(in_care.get_by_role("button", name="Start")).to_be_visible()

        await in_care.get_by_role("link", name=case_id).click()
        await expect(page).to_have_url(re.compile(rf"/cases/{case_id}$"))
        last = page.locator("#timeline tr").last
        await expect(last).to_contain_text("gm0855 accepted the task")
        await expect(last).to_contain_text("plan the multidisciplinary transition meeting")
        await expect(page.locator("#responsible")).to_contain_text("nidos")

        row = page.locator(f"#case-tasks tr[data-task-id='{task['task_id']}']")
        await row.get_by_role("button", name="Start").click()
        await expect(row).to_have_attribute("data-status", "in-progress")
        await expect(page.locator("#timeline tr").last).to_contain_text("gm0855 started work on the task")
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
        row = page.locator(f"tr[data-task-id='{task['task_id']}']")
        decline_reason = row.get_by_placeholder("reason to decline")
        await decline_reason.fill("no")  # too short: the browser keeps the form, nothing is sent
        await row.get_by_role("button", name="Decline").click()
        await expect(row).to_have_attribute("data-status", "requested")

        await row.get_by_role("button", name="Accept").click()
        await expect(row).to_have_attribute("data-status", "accepted")
        digid = row.locator("li", has_text="digid")
        await digid.get_by_role("button", name="Tick").click()
        await expect(page.get_by_role("status")).to_contain_text("'digid' ticked")
        await expect(row.locator("li", has_text="digid")).to_contain_text("☑")
        await expect(row.locator("li", has_text="digid").get_by_role("button", name="Tick")).to_have_count(0)
        await expect(row.get_by_role("button", name="Complete")).to_have_count(0)  # six items still open

        await page.goto(f"/cases/{case_id}")
        await expect(page.locator("#timeline tr").last).to_contain_text("gm0855 ticked 'digid' on the checklist")

        other, stranger = await signed_in_page(browser, desk, "vwn-gm0518")
        try:
            await stranger.goto(f"/cases/{case_id}")
            await expect(stranger.get_by_role("alert")).to_contain_text(f"no case {case_id} among your cases")
            await expect(stranger.locator("#timeline")).to_have_count(0)
        finally:
            await other.close()
    finally:
        await context.close()
