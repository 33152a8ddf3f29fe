"""The sandbox page in chromium, as a visitor uses it: sign-ups in English and Arabic, a library
search, the time machine delivering the first reminder on its day, and /mydata downloaded."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select
from telegram import ReplyKeyboardMarkup

from locales import gettext_for
from sandbox.runner import Sandbox
from store.models import Delivery, DeliveryStatus, Family
from tests.sandbox.conftest import SandboxPage, tomorrow_at_ten
from tests.scheduler.conftest import LONDON

pytestmark = pytest.mark.browser


def typed(day: date) -> str:
    """A date as a parent types it: 3/12/2026."""
    return f"{day.day}/{day.month}/{day.year}"


def arrived(moment: datetime) -> str:
    """How the page stamps a message that arrived at ``moment`` (its title and data-arrived)."""
    return moment.astimezone(LONDON).strftime("%a, %-d %b %Y, %H:%M")


async def family_row(sandbox: Sandbox, chat_id: int) -> Family:
    assert sandbox.application is not None
    async with sandbox.application.bot_data["services"].sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == chat_id))
    assert family is not None
    return family


async def sign_up_in_english(page: SandboxPage, name: str, born: date) -> None:
    await page.new_family(name, "en")
    await page.shot("new-family")
    await page.start()
    await page.shot("privacy-notice")
    await page.tap("Yes, that's OK")
    await page.tap("English")
    await page.tap("Mum")
    await page.shot("who-are-you")
    await page.tap("My baby has been born")
    await page.say(typed(born))
    await page.shot("date-shown-back")
    await page.tap("Yes, that's right")
    await page.tap("No, that's everyone")
    await page.tap("Bootle")
    await page.tap_data("time:morning")
    await page.shot("signed-up")


async def test_a_family_signs_up_in_english_and_sees_the_menu(
    page: SandboxPage, sandbox: Sandbox
) -> None:
    born = tomorrow_at_ten().date()
    await sign_up_in_english(page, "Amy", born)
    chat = page.page.locator("#chat")
    await expect(chat).to_have_attribute("dir", "ltr")
    await expect(chat.locator(".row.bot").last).to_contain_text("What would you like to do?")
    assert page.family is not None
    family = await family_row(sandbox, page.family.id)
    assert family.area == "bootle"
    # Rows carry the sandbox's time, not the computer's: written by the bot and by defaults.
    assert family.registered_at is not None
    assert family.registered_at.astimezone(LONDON).date() == born
    assert family.created_at.astimezone(LONDON).date() == born


async def test_a_family_signs_up_in_arabic_right_to_left(page: SandboxPage) -> None:
    _ = gettext_for("ar")
    await page.new_family("ليلى", "ar")
    [notice] = await page.start()
    chat = page.page.locator("#chat")
    await expect(chat).to_have_attribute("dir", "rtl")
    bubble = chat.locator(f'.row[data-message-id="{notice.message_id}"] .text')
    assert await bubble.evaluate("element => getComputedStyle(element).direction") == "rtl"
    await page.shot("privacy-notice-in-arabic")
    await page.tap(_("Yes, that's OK"))
    await page.tap("العربية")
    await page.tap(_("Mum"))
    await page.tap(_("I'm expecting a baby"))
    await page.say(typed(tomorrow_at_ten().date() + timedelta(days=120)))
    await page.shot("due-date-shown-back")
    await page.tap(_("Yes, that's right"))
    await page.tap(_("No, that's everyone"))
    await page.tap_data("area:")
    await page.tap_data("time:evening")
    await expect(chat.locator(".row.bot").last).to_contain_text(_("What would you like to do?"))
    # Mirrored as Telegram mirrors an Arabic app: the family's words on the left.
    family_box = await chat.locator(".row.family").last.bounding_box()
    bot_box = await chat.locator(".row.bot").last.bounding_box()
    assert family_box is not None and bot_box is not None
    assert family_box["x"] < bot_box["x"]
    await page.shot("signed-up-in-arabic")


async def test_a_typed_question_finds_library_articles(page: SandboxPage) -> None:
    await sign_up_in_english(page, "Sam", tomorrow_at_ten().date())
    [found] = await page.say("my baby is teethng")
    assert found.inline_keyboard[0][0]["callback_data"].startswith("lib:a:brushing-first-teeth")
    await page.shot("search-results")
    [article] = await page.tap(found.buttons[0][0])
    shown = page.page.locator(f'#chat .row[data-message-id="{article.message_id}"] .text')
    await expect(shown.locator("b").first).to_be_visible()  # the title, in bold
    await expect(shown).to_contain_text(article.visible_text.split("\n", 1)[0])
    await page.shot("article")


async def test_a_day_forward_brings_the_welcome_then_the_first_reminder_on_its_day(
    page: SandboxPage, sandbox: Sandbox
) -> None:
    """A baby born today: the welcome once the family is idle, then the first tip of the plan
    (safe sleep on the back, due the day after birth) at the morning send time, 09:30."""
    born = tomorrow_at_ten().date()
    await sign_up_in_english(page, "Jo", born)
    await page.page.click('[data-jump="day"]')
    await expect(page.page.locator("#toast")).to_contain_text("Moved 1 day forward")
    await page.shot("a-day-later")
    assert page.family is not None
    family = await family_row(sandbox, page.family.id)
    assert sandbox.application is not None
    async with sandbox.application.bot_data["services"].sessions() as session:
        sent = (
            await session.scalars(
                select(Delivery)
                .where(Delivery.family_id == family.id, Delivery.status == DeliveryStatus.SENT)
                .order_by(Delivery.sent_at)
            )
        ).all()
    assert [row.entry_key for row in sent] == ["where_you_are_now", "safe_sleep_on_the_back"]
    welcome, first_tip = sent
    assert first_tip.due_on == born + timedelta(days=1)
    assert first_tip.sent_at is not None
    local = first_tip.sent_at.astimezone(LONDON)
    assert (local.date(), local.strftime("%H:%M")) == (born + timedelta(days=1), "09:30")
    bubbles = page.page.locator("#chat .row.bot .msg")
    tip_bubble = bubbles.filter(has_text="on their back").last
    await expect(tip_bubble).to_have_attribute("data-arrived", arrived(first_tip.sent_at))
    assert welcome.sent_at is not None
    assert welcome.sent_at.astimezone(LONDON).date() == born
    welcome_bubble = bubbles.filter(has_text="Here is where you are now").last
    await expect(welcome_bubble).to_have_attribute("data-arrived", arrived(welcome.sent_at))
    # The page tells the day apart, as Telegram does.
    days = page.page.locator("#chat .messages .day")
    await expect(days.last).to_have_text((born + timedelta(days=1)).strftime("%A, %-d %B %Y"))


async def test_mydata_downloads_the_familys_json(page: SandboxPage) -> None:
    born = tomorrow_at_ten().date()
    await sign_up_in_english(page, "Kim", born)
    await page.say("/mydata")
    card = page.page.locator("#chat .document").last
    await expect(card).to_contain_text("grow-well-my-data.json")
    await page.shot("mydata-document")
    async with page.page.expect_download() as waiting:
        await card.click()
    download = await waiting.value
    assert download.suggested_filename == "grow-well-my-data.json"
    data = json.loads(await asyncio.to_thread(Path(await download.path()).read_bytes))
    assert page.family is not None
    assert data["chat_id"] == page.family.id
    assert data["area"] == "bootle"
    assert data["children"][0]["date_of_birth"] == born.isoformat()
    # Stamped by the sandbox's clock, which is a day ahead of the computer's.
    assert data["created_at"].startswith(born.isoformat())


async def test_formatting_keyboards_edits_and_deletions_show_as_telegram_draws_them(
    page: SandboxPage, sandbox: Sandbox
) -> None:
    """What the bot may send, sent straight through its Bot API connection: the page draws
    Telegram's formatting from entities, never the bot's HTML, so markup in a message stays
    text and a javascript: link goes nowhere."""
    family = await page.new_family("Eve", "en")
    await page.start()
    assert sandbox.application is not None
    bot = sandbox.application.bot
    sent = await bot.send_message(
        family.id,
        "<b>Bold</b> <i>it</i> <u>u</u> <s>s</s>"
        " <code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"
        ' <a href="javascript:alert(1)">bad link</a> <a href="https://www.nhs.uk/">NHS</a>'
        " <tg-spoiler>hidden</tg-spoiler>\n<blockquote>quoted</blockquote><pre>pre</pre>",
        parse_mode="HTML",
        reply_markup=ReplyKeyboardMarkup([["Yes please", "No thanks"]], one_time_keyboard=True),
    )
    row = page.page.locator(f'#chat .row[data-message-id="{sent.message_id}"]')
    text = row.locator(".text")
    await expect(text.locator("b")).to_have_text("Bold")
    for tag, shown in (("i", "it"), ("u", "u"), ("s", "s"), ("blockquote", "quoted")):
        await expect(text.locator(tag)).to_have_text(shown)
    await expect(text.locator("pre")).to_have_text("pre")
    await expect(text.locator("code")).to_have_text("<script>alert(1)</script>")
    assert await page.page.locator("#chat script").count() == 0
    assert await text.locator("a", has_text="bad link").get_attribute("href") is None
    await expect(text.locator("a", has_text="NHS")).to_have_attribute(
        "href", "https://www.nhs.uk/"
    )
    spoiler = text.locator(".spoiler")
    await expect(spoiler).not_to_have_class(re.compile("shown"))
    await spoiler.click()
    await expect(spoiler).to_have_class(re.compile("shown"))
    keyboard = page.page.locator("#chat .reply-keyboard")
    await expect(keyboard.get_by_role("button")).to_have_text(["Yes please", "No thanks"])
    await page.shot("formatting-and-reply-keyboard")
    await keyboard.get_by_role("button", name="Yes please").click()
    await expect(page.page.locator("#chat .row.family").last).to_have_text(
        re.compile("Yes please")
    )
    await expect(keyboard).to_be_hidden()  # one-time: gone once used

    await bot.edit_message_text(
        "Changed <b>words</b>", family.id, sent.message_id, parse_mode="HTML"
    )
    await expect(text).to_contain_text("Changed words")
    await expect(row.locator(".stamp")).to_contain_text("edited")
    await bot.delete_message(family.id, sent.message_id)
    await expect(row).to_have_count(0)
    await page.shot("edited-then-deleted")
