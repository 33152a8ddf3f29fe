"""The staff side of the sandbox page in chromium: a family asks for support, and the visitor,
as Sam Taylor, claims the request in the hub team's group, opens it, writes to the family by
replying to the request's message in Sam's chat, and closes it; the family sees each step."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, expect

from sandbox.runner import Sandbox
from tests.sandbox.conftest import SandboxPage, tomorrow_at_ten
from tests.sandbox.test_sandbox_page import sign_up_in_english

pytestmark = pytest.mark.browser

HUB = "Not sure? Talk to a health visitor"
HUB_GROUP = "Sefton health visiting hub · staff group"
# The bot's cycle (group posts, then the families' notices) runs every 5 seconds.
CYCLE_MS = 15_000


async def open_chat(page: SandboxPage, list_id: str, title: str) -> None:
    await page.page.locator(f"#{list_id} li", has_text=title).click()
    await expect(page.page.locator("#chat .chat-head")).to_be_visible()


def bot_message(page: SandboxPage, text: str) -> Locator:
    return page.page.locator("#chat .row.bot", has_text=text).last


async def press_on(post: Locator, label: str) -> None:
    await post.locator(".inline-keyboard button", has_text=label).click()


async def ask_the_hub(page: SandboxPage) -> str:
    """Through the family's own menu; the reference the bot gives back."""
    await page.tap("Get support")
    await page.tap(HUB)
    asked = (await page.say("We are not sleeping and I feel low"))[-1]
    if any("Skip this question" in row for row in asked.buttons):  # "anything else?"
        await page.tap("Skip this question")
    await page.tap("A message in this chat")
    await page.shot("family-checks-the-request")
    done = "\n".join(reply.visible_text for reply in await page.tap("Yes, send my request"))
    found = re.search(r"Your reference is (GW-[0-9A-Z]{5})", done)
    assert found, done
    return found.group(1)


async def test_a_family_asks_for_support_and_sam_claims_opens_replies_and_closes(
    page: SandboxPage, sandbox: Sandbox
) -> None:
    await sign_up_in_english(page, "Amy", tomorrow_at_ten().date())
    reference = await ask_the_hub(page)
    await page.shot("request-sent")

    # The request reaches the hub's group within a cycle: only what the whole team may see.
    await open_chat(page, "groups", HUB_GROUP)
    post = bot_message(page, reference)
    await expect(post).to_contain_text("nobody has claimed it yet", timeout=CYCLE_MS)
    await expect(post).not_to_contain_text("not sleeping")
    await page.shot("the-request-in-the-hub-group")

    await press_on(post, "Claim")
    await expect(post).to_contain_text("Claimed by Sam Taylor")
    await page.shot("claimed-by-sam")
    await press_on(post, "Open")

    # The details come to Sam privately, with the family's words.
    await open_chat(page, "groups", "Sam Taylor")
    details = bot_message(page, reference)
    await expect(details).to_contain_text("We are not sleeping and I feel low")
    await page.shot("details-in-sams-chat")
    await details.locator(".reply-action").click()
    await expect(page.page.locator("#chat .replying")).to_contain_text(reference)
    await page.shot("replying-to-the-request")
    composer = page.page.locator("#chat .composer .text")
    await composer.fill("Hello Amy, I am Sam, a health visitor. Can I call you tomorrow?")
    await composer.press("Enter")
    await expect(page.page.locator("#chat .row.family .quote").last).to_contain_text(reference)
    await expect(bot_message(page, "Sent to the family")).to_contain_text(reference)
    await page.shot("sent-to-the-family")

    # The family has been told of the claim, and has Sam's words.
    await open_chat(page, "families", "Amy")
    await expect(bot_message(page, "is now with a member of the team")).to_be_visible(
        timeout=CYCLE_MS
    )
    await expect(bot_message(page, "Can I call you tomorrow?")).to_be_visible(timeout=CYCLE_MS)
    await page.shot("the-family-reads-sams-message")

    await open_chat(page, "groups", HUB_GROUP)
    post = bot_message(page, reference)
    await press_on(post, "Close")
    await press_on(post, "advice given")
    await expect(post).to_contain_text("Closed by Sam Taylor: advice given")
    await page.shot("closed-with-an-outcome")

    await open_chat(page, "families", "Amy")
    await expect(bot_message(page, "is now closed: advice given")).to_be_visible(timeout=CYCLE_MS)
    await page.shot("the-family-is-told-it-is-closed")
