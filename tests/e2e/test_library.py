"""The parent library as transcripts: browse, page, search with typos, vote, deep links."""

from __future__ import annotations

from datetime import date

import pytest
from bidi import get_display
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from bot.library import TOPIC_NAMES
from local_bot_api.server import BotApiServer
from resources.library import load_library
from resources.topics import Topic
from store.models import ArticleRead, ArticleVote
from tests.conftest import Clock
from tests.e2e.transcript import flat, presses, says, taps
from tests.scheduler.conftest import make_family

Sessions = async_sessionmaker[AsyncSession]
LIBRARY = load_library()


def test_every_library_topic_has_a_label() -> None:
    assert list(TOPIC_NAMES) == list(Topic)


async def test_a_mum_browses_to_an_article_in_english(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6001, born=date(2026, 10, 1))
    amy = bot_api.user(user_id=6001, first_name="Amy")
    [menu] = await says(amy, "/menu")
    assert "📚 Library" in flat(menu.buttons)
    [shelves] = await presses(amy, "📚 Library")
    assert shelves.edited
    assert shelves.visible_text.startswith("📚 Parent library")
    assert flat(shelves.buttons)[0] == "😴 Safe sleep"  # a young baby: safe sleep first
    [topic] = await presses(amy, "😴 Safe sleep")
    assert topic.visible_text == "😴 Safe sleep"
    assert "Safe sleep: the basics" in flat(topic.buttons)
    [article] = await taps(amy, "Safe sleep: the basics")
    assert article.visible_text.startswith("Safe sleep: the basics")
    assert article.parse_mode == "HTML"


async def test_a_dad_browses_in_polish_and_sees_the_fathers_topic_first(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    from store.models import Role

    plan = bot.bot_data["services"].plan
    await make_family(
        sessions, plan, clock, 6002, born=date(2026, 10, 1), role=Role.DAD, locale="pl"
    )
    piotr = bot_api.user(user_id=6002, first_name="Piotr", language_code="pl")
    await says(piotr, "/library")
    shelves = piotr.last_message
    assert shelves is not None
    first_topic = flat(shelves.buttons)[0]
    assert first_topic.startswith("👨")
    [topic] = await presses(piotr, first_topic)
    first_article = flat(topic.buttons)[0]
    fathers = {a.title for a in LIBRARY.articles_in("fathers", "pl")}
    assert first_article in fathers
    [article] = await taps(piotr, first_article)
    assert article.visible_text.startswith(first_article)


async def test_a_long_article_pages_with_next_and_back_and_ends_with_sources(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6003, born=date(2026, 10, 1))
    user = bot_api.user(user_id=6003)
    await says(user, "/start a_safe-sleep-basics")
    first = user.last_message
    assert first is not None
    assert first.visible_text.startswith("Safe sleep: the basics")
    next_label = next(label for label in flat(first.buttons) if label.startswith("Next ▶️"))
    assert next_label.endswith("/2)") or next_label.endswith("/3)")
    [second] = await presses(user, next_label)
    assert second.edited
    assert second.message_id == first.message_id
    assert len(second.visible_text) <= 4096
    while any(label.startswith("Next ▶️") for label in flat(user.last_message.buttons)):
        label = next(x for x in flat(user.last_message.buttons) if x.startswith("Next ▶️"))
        await presses(user, label)
    last = user.last_message
    assert "Sources" in last.visible_text
    assert "👍 Helpful" in flat(last.buttons)
    [back] = await presses(user, "◀️ Back")
    assert back.visible_text != last.visible_text


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en", "my baby is teethng", "brushing-first-teeth"),
        ("pl", "szczepienia dziecka", "immunisations-"),
        ("pt", "amamentacao", "feeding-breastfeeding"),
        ("ar", "الرضاعه", "feeding-breastfeeding"),
    ],
)
async def test_a_typed_question_with_a_typo_finds_a_relevant_article_first(
    bot: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
    locale: str,
    typed: str,
    expected: str,
) -> None:
    plan = bot.bot_data["services"].plan
    chat = 6100 + len(typed)
    await make_family(sessions, plan, clock, chat, born=date(2026, 5, 1), locale=locale)
    user = bot_api.user(user_id=chat, language_code=locale)
    [found] = await says(user, typed)
    first = found.inline_keyboard[0][0]["callback_data"].removeprefix("lib:a:")
    assert first.startswith(expected)
    assert 1 <= len(found.buttons) <= 5
    [article] = await taps(user, found.buttons[0][0])
    assert article.visible_text.startswith(LIBRARY.get(first, locale).title)


@pytest.mark.parametrize(("locale", "typed"), [("en", "mental health"), ("pt", "saúde mental")])
async def test_a_mum_and_a_dad_asking_the_same_question_each_see_their_article_first(
    bot: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
    locale: str,
    typed: str,
) -> None:
    from store.models import Role

    plan = bot.bot_data["services"].plan
    shown: dict[Role, list[str]] = {}
    for chat, role in ((6201, Role.MUM), (6202, Role.DAD)):
        await make_family(
            sessions, plan, clock, chat, born=date(2026, 9, 1), role=role, locale=locale
        )
        parent = bot_api.user(user_id=chat, language_code=locale)
        [found] = await says(parent, typed)
        shown[role] = [
            row[0]["callback_data"].removeprefix("lib:a:") for row in found.inline_keyboard
        ]
    assert shown[Role.MUM][0] == "mental-health-where-to-get-help"
    assert "dads-mental-health" in shown[Role.MUM]  # lower down, not hidden
    assert shown[Role.DAD][0] == "dads-mental-health"
    assert "mental-health-where-to-get-help" in shown[Role.DAD]


async def test_an_arabic_article_sends_the_samaritans_number_isolated_in_dialling_order(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6203, born=date(2026, 9, 1), locale="ar")
    user = bot_api.user(user_id=6203, language_code="ar")
    await says(user, "/start a_urgent-help-crisis")
    article = user.last_message
    assert article is not None
    assert "\u2066116 123\u2069" in article.visible_text
    assert "123 116" not in get_display(article.visible_text, base_dir="R")


async def test_nonsense_says_nothing_was_found_and_offers_topics_and_a_health_visitor(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6004, born=date(2026, 5, 1))
    user = bot_api.user(user_id=6004)
    [reply] = await says(user, "qwertyuiop")
    assert reply.visible_text.startswith("I couldn't find an article about that.")
    assert flat(reply.buttons) == ["📚 Library topics", "🙋 Ask a health visitor"]
    [asked] = await presses(user, "🙋 Ask a health visitor")  # the hub's front door
    assert "Not sure? Talk to a health visitor" in asked.visible_text


async def test_voting_helpful_is_stored_once_and_can_be_changed(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6005, born=date(2026, 5, 1))
    user = bot_api.user(user_id=6005)
    await says(user, "/start a_crying-icon")
    await presses(user, "👍 Helpful")
    assert user.callback_answers[-1].startswith("Thank you!")
    await presses(user, "👍 Helpful")
    await presses(user, "👎 Not helpful")
    async with sessions() as session:
        votes = list(await session.scalars(select(ArticleVote)))
    assert [(v.article_id, v.helpful) for v in votes] == [("crying-icon", False)]


async def test_a_deep_link_opens_the_article_after_sign_up_for_a_new_family(
    bot: GrowWellApplication, bot_api: BotApiServer
) -> None:
    user = bot_api.user(user_id=6006, first_name="Nia", language_code="en")
    [welcome] = await says(user, "/start a_hot-weather")
    assert "Welcome to Grow Well" in welcome.visible_text
    for step in ("Yes, that's OK", "English", "Mum", "My baby has been born"):
        await taps(user, step)
    await says(user, "1/10/2026")
    for step in ("Yes, that's right", "No, that's everyone", "Bootle"):
        await taps(user, step)
    summary, _menu, article = await taps(user, "Morning, around 09:30")
    assert "All done" in summary.visible_text
    assert article.visible_text.startswith(LIBRARY.get("hot-weather", "en").title)


async def test_opening_an_article_counts_one_read_for_the_day_and_language_only(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, 6007, born=date(2026, 10, 1), locale="pl")
    user = bot_api.user(user_id=6007, language_code="pl")
    [opened] = await says(user, "/start a_safe-sleep-basics")
    next_label = next(label for label in flat(opened.buttons) if "▶️" in label)
    await presses(user, next_label)  # turning a page is the same reading
    async with sessions() as session:
        reads = list(await session.scalars(select(ArticleRead)))
    assert [(r.day, r.article_id, r.locale, r.reads) for r in reads] == [
        (date(2026, 11, 23), "safe-sleep-basics", "pl", 1)
    ]
    await says(user, "/start a_safe-sleep-basics")
    async with sessions() as session:
        assert await session.scalar(select(ArticleRead.reads)) == 2
