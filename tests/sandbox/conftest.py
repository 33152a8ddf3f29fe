"""The sandbox in this test's event loop (its own SQLite file), and Debian's chromium driving its
page through Playwright. Screenshots of each step go to var/test-output/sandbox/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from config.settings import load_settings
from local_bot_api.chats import SentMessage
from local_bot_api.users import TelegramUser
from sandbox.runner import Sandbox
from tests.scheduler.conftest import LONDON

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "test-output" / "sandbox"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def tomorrow_at_ten() -> datetime:
    """A sandbox morning well away from quiet hours, whenever the tests run."""
    day = datetime.now(LONDON).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A fresh sandbox whose clock reads tomorrow 10:00 London, on a port of its own."""
    running = Sandbox(load_settings(), port=0, database=tmp_path / "sandbox.db")
    running.clock.move_to(tomorrow_at_ten())
    await running.start()
    yield running
    await running.stop()


class SandboxPage:
    """The page in chromium, with steps as a visitor takes them; each step can be photographed."""

    def __init__(self, page: Page, sandbox: Sandbox, name: str) -> None:
        self.page = page
        self.sandbox = sandbox
        self._name = name
        self._step = 0
        self.screenshots: list[Path] = []
        self.family: TelegramUser | None = None

    async def shot(self, step: str) -> Path:
        self._step += 1
        path = SCREENSHOTS / f"{self._name}-{self._step:02d}-{step}.png"
        await self.page.screenshot(path=str(path))
        self.screenshots.append(path)
        return path

    async def new_family(self, first_name: str, language_code: str) -> TelegramUser:
        page = self.page
        await page.click("#new-family")
        await page.fill("input[name=first_name]", first_name)
        await page.select_option("#language-select", language_code)
        await page.click("#family-form button[type=submit]")
        item = page.locator("#families li", has_text=first_name)
        await expect(item).to_have_class(re.compile("open"))
        chat_id = int(await item.get_attribute("data-chat-id") or 0)
        self.family = self.sandbox.server.user(chat_id)
        return self.family

    async def start(self) -> list[SentMessage]:
        await self.page.click("#chat .start")
        return await self._answered()

    async def say(self, text: str) -> list[SentMessage]:
        composer = self.page.locator("#chat .composer .text")
        await composer.fill(text)
        await composer.press("Enter")
        return await self._answered()

    async def tap(self, label: str) -> list[SentMessage]:
        """Press the newest inline button with this label."""
        await self.page.locator("#chat .inline-keyboard button", has_text=label).last.click()
        return await self._answered()

    async def tap_data(self, data: str) -> list[SentMessage]:
        """Press the newest inline button whose callback data starts with ``data``."""
        await self.page.locator(
            f'#chat .inline-keyboard button[data-callback^="{data}"]'
        ).last.click()
        return await self._answered()

    async def _answered(self) -> list[SentMessage]:
        """Wait for the bot's answer, then for the page to show its newest message."""
        assert self.family is not None
        replies = await self.family.replies(settle=0.4)
        assert replies, "the bot did not answer"
        newest = replies[-1].message_id
        await expect(self.page.locator(f'#chat .row[data-message-id="{newest}"]')).to_be_visible()
        return replies


@pytest.fixture
async def page(sandbox: Sandbox, request: pytest.FixtureRequest) -> AsyncIterator[SandboxPage]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 860}, accept_downloads=True
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(sandbox.url)
        await expect(page.locator("#clock")).not_to_have_text("…")
        name = request.node.name.removeprefix("test_")[:60]
        yield SandboxPage(page, sandbox, name)
        await browser.close()
        assert errors == [], errors
