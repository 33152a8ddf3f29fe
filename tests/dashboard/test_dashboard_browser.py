"""The dashboard in Debian's chromium, as a health visitor at a desk uses it: sign in, filter
the queue, open a request, claim it, add a note, close it with an outcome, see the overdue
report go down by one, and download the report as CSV. The real web app is served on a free
port over a real database; screenshots go to var/test-output/dashboard/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright, expect

from api.server import start_web
from store.models import StaffRole
from tests.api.conftest import make_key
from tests.conftest import Clock
from tests.dashboard.conftest import PASSWORD, MakeStaff, Sessions, web_app
from tests.sandbox.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "var" / "test-output" / "dashboard"
ADMIN_EMAIL = "priya.shah@nhs.example"
SAFE_SLEEP = "Safe sleep advice"
FEEDING = "Feeding your baby"
OVERDUE_SAFE_SLEEP = 6  # more than 5, so the report shows the figure itself
NOTE = "Called twice, no answer. Will try again after the clinic."


def partner_request(spoke: str, number: int) -> dict[str, str]:
    return {
        "spoke": spoke,
        "name": f"Parent {number}",
        "phone": "07911 123456",
        "postcode": "L20 3AB",
        "child_age_band": "under_3_months",
        "consent_statement": "Mother agreed on the call-out to a phone call from health visiting.",
        "reason": "Baby asleep on the sofa with a parent.",
    }


async def refer(base_url: str, key: str, spoke: str, number: int) -> str:
    """A partner's request through the partner API; its reference."""
    async with aiohttp.ClientSession() as client:
        response = await client.post(
            f"{base_url}/api/v1/referrals",
            json=partner_request(spoke, number),
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"{spoke}-{number}"},
        )
        assert response.status == 201, await response.text()
        return str((await response.json())["reference"])


@pytest.fixture
async def served(sessions: Sessions, clock: Clock) -> AsyncIterator[str]:
    """The web app (partner API and dashboard) on 127.0.0.1 and a free port."""
    runner = await start_web(web_app(sessions, clock), "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.fixture
async def references(served: str, sessions: Sessions, clock: Clock) -> list[str]:
    """Six safe sleep requests from the police, a week old and so overdue; then one feeding
    request made today, which is not."""
    key = await make_key(sessions, clock, "police", "safe_sleep", "infant_feeding")
    made = [await refer(served, key, "safe_sleep", n) for n in range(OVERDUE_SAFE_SLEEP)]
    clock.advance(days=7)
    made.append(await refer(served, key, "infant_feeding", 0))
    return made


class Desk:
    """The dashboard in chromium; each step can be photographed by name."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self._step = 0

    async def shot(self, name: str) -> Path:
        self._step += 1
        path = SCREENSHOTS / f"{self._step:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def sign_in(self, email: str, password: str) -> None:
        page = self.page
        await page.goto(f"{self.base_url}/dashboard/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()

    async def go_to(self, section: str) -> None:
        """A link of the main navigation (Queue, Reports, ...)."""
        main_menu = self.page.get_by_role("navigation", name="Main")
        await main_menu.get_by_role("link", name=section, exact=True).click()

    async def told(self, words: str) -> None:
        """The page after a form says what happened (the notice, a live status)."""
        notice = self.page.get_by_role("main").get_by_role("status")
        await expect(notice).to_contain_text(re.compile(re.escape(words), re.IGNORECASE))

    async def overdue_report(self) -> int:
        """Open Reports, then its Overdue tab; the headline figure."""
        page = self.page
        await self.go_to("Reports")
        tabs = page.get_by_role("navigation", name="Reports")
        await tabs.get_by_role("link", name="Overdue", exact=True).click()
        report = page.get_by_role("region", name="Overdue requests", exact=True)
        await expect(report).to_be_visible()
        headline = report.locator(".counts li", has_text="Overdue").locator("strong")
        return figure(await headline.inner_text())


@pytest.fixture
async def desk(served: str) -> AsyncIterator[Desk]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield Desk(page, served)
        await browser.close()
        assert errors == [], errors


async def test_a_health_visitor_works_a_request_and_the_report_shows_it(
    desk: Desk, references: list[str], make_staff: MakeStaff
) -> None:
    await make_staff(name="Priya Shah", team=None, role=StaffRole.ADMIN, email=ADMIN_EMAIL)
    page = desk.page
    await desk.sign_in(ADMIN_EMAIL, PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Requests for")
    assert await desk.overdue_report() == OVERDUE_SAFE_SLEEP
    await desk.go_to("Queue")

    # The queue, filtered to overdue safe sleep requests: the feeding one is not among them.
    await page.get_by_label("Support").select_option(label=SAFE_SLEEP)
    await page.get_by_label("Overdue only").check()
    await page.get_by_role("button", name="Show requests").click()
    results = page.locator("#queue-results")
    await expect(results.get_by_role("heading", level=2).last).to_have_text(
        f"{OVERDUE_SAFE_SLEEP} requests"
    )
    for reference in references[:OVERDUE_SAFE_SLEEP]:
        await expect(results.get_by_role("link", name=reference)).to_be_visible()
    await expect(results.get_by_role("link", name=references[-1])).to_have_count(0)
    await expect(results).not_to_contain_text(FEEDING)
    await desk.shot("queue-overdue-safe-sleep")

    # One request: claim it, add a note, close it with an outcome.
    reference = references[0]
    await results.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference}")
    await page.get_by_role("button", name="Claim").click()
    await desk.told("You hold this request now")
    await page.get_by_label("Add a note").fill(NOTE)
    await page.get_by_role("button", name="Add note").click()
    await desk.told("Note added")
    await expect(page.locator(".notes")).to_contain_text(NOTE)
    await page.get_by_label("Outcome").select_option(value="advice_given")
    await page.get_by_role("button", name="Close", exact=True).click()
    await desk.told("Closed: advice given")
    await expect(page.locator("dl.details").first).to_contain_text("Closed")
    await desk.shot("request-closed")

    # The overdue report has one fewer, on the page and in the CSV.
    assert await desk.overdue_report() == OVERDUE_SAFE_SLEEP - 1
    table = page.get_by_role("table", name="Overdue requests by spoke and team")
    row = table.get_by_role("row").filter(has_text=SAFE_SLEEP)
    await expect(row.get_by_role("cell").last).to_have_text(str(OVERDUE_SAFE_SLEEP - 1))
    await desk.shot("report-overdue-after-the-close")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Overdue requests by spoke and team").click()
    download = await download_info.value
    assert re.fullmatch(r"growwell-overdue-.*\.csv", download.suggested_filename)
    saved = SCREENSHOTS / download.suggested_filename
    await download.save_as(saved)
    header, *rows = read_csv(saved)
    assert header == ["Spoke", "Team", "Overdue"]
    [safe_sleep] = [row for row in rows if row[0] == SAFE_SLEEP]
    assert safe_sleep[2] == str(OVERDUE_SAFE_SLEEP - 1)


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def figure(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())
