"""A registered family's own controls: /settings, /pause, /mydata and /delete."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from local_bot_api.server import BotApiServer
from store.models import Base, ChildStatus, Family, SendTime
from tests.e2e.test_onboarding import signed_up
from tests.e2e.transcript import flat, forges, says, taps


async def test_settings_change_time_area_language_and_add_a_child(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await signed_up(bot_api, user_id=3001, due="1/5/2027")
    [menu] = await says(user, "/settings")
    assert menu.visible_text == "What would you like to change?"
    assert "🎉 My baby has been born" in flat(menu.buttons)

    await taps(user, "🕒 Message time")
    saved, menu = await taps(user, "Afternoon, around 13:00")
    assert saved.visible_text == "Saved."

    await taps(user, "📍 Area")
    await taps(user, "Southport")

    await taps(user, "➕ Add a child")
    await taps(user, "My baby has been born")
    await says(user, "2/9/2025")
    await taps(user, "Yes, that's right")

    await taps(user, "🌐 Language")
    saved, menu = await taps(user, "Polski")
    assert saved.visible_text != "Saved."  # now in Polish
    assert menu.buttons[-1] != ["✅ Done"]

    async with sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == user.id))
        assert family is not None
        assert family.send_time is SendTime.AFTERNOON
        assert family.area == "southport"
        assert family.locale == "pl"
        assert [(c.due_date, c.birth_date) for c in family.children] == [
            (date(2027, 5, 1), None),
            (None, date(2025, 9, 2)),
        ]


async def test_reporting_a_birth_turns_the_due_date_into_a_birthday(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await signed_up(bot_api, user_id=3002, due="20/11/2026")
    await says(user, "/settings")
    [ask] = await taps(user, "🎉 My baby has been born")
    assert ask.visible_text == "When was your baby born? Please type the date, like 2/9/2026."
    await says(user, "18/11/2026")
    [congrats, _menu] = await taps(user, "Yes, that's right")
    assert congrats.visible_text.startswith("Congratulations!")
    async with sessions() as session:
        family = await session.scalar(select(Family))
        assert family is not None
        [child] = family.children
        assert (child.due_date, child.birth_date) == (date(2026, 11, 20), date(2026, 11, 18))


async def test_reporting_a_loss_stops_the_child_and_offers_support(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await signed_up(bot_api, user_id=3003, due="1/3/2027")
    await says(user, "/settings")
    [confirm] = await taps(user, "💔 Report the loss of a baby")
    assert confirm.visible_text == (
        "I am so sorry. Would you like me to stop all messages about this baby?"
    )
    [support] = await taps(user, "Yes, please stop them")
    assert "I am so very sorry for your loss" in support.visible_text
    assert "0808 802 6869" in support.visible_text
    assert "116 123" in support.visible_text
    async with sessions() as session:
        family = await session.scalar(select(Family))
        assert family is not None
        assert family.children[0].status is ChildStatus.LOSS
    [menu] = await says(user, "/settings")
    assert "💔 Report the loss of a baby" not in flat(menu.buttons)


async def test_another_familys_child_cannot_be_reported(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await signed_up(bot_api, user_id=3004, due="1/3/2027")
    other = await signed_up(bot_api, user_id=3005, due="1/4/2027", twins=True)
    async with sessions() as session:
        first = await session.scalar(select(Family).where(Family.chat_id == 3004))
        assert first is not None
        their_child_id = first.children[0].id
    await says(other, "/settings")
    [pick] = await taps(other, "💔 Report the loss of a baby")
    assert pick.visible_text == "Which baby is this about?"
    [again] = [
        m for m in await forges(other, pick.message_id, f"loss:{their_child_id}") if not m.edited
    ]
    assert again.visible_text == "Which baby is this about?"
    async with sessions() as session:
        first = await session.scalar(select(Family).where(Family.chat_id == 3004))
        assert first is not None
        assert first.children[0].status is ChildStatus.ACTIVE


async def test_pause_and_resume(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await signed_up(bot_api, user_id=3006)
    [paused] = await says(user, "/pause")
    assert paused.visible_text.startswith("I have paused your messages.")
    async with sessions() as session:
        assert await session.scalar(select(Family.paused)) is True
    await says(user, "/resume")
    async with sessions() as session:
        assert await session.scalar(select(Family.paused)) is False


async def test_mydata_sends_everything_as_a_json_document(
    bot: object, bot_api: BotApiServer
) -> None:
    user = await signed_up(bot_api, user_id=3007, born="2/9/2026", role="Dad")
    await says(user, "/mydata")
    document = user.documents[-1]
    assert document.filename == "grow-well-my-data.json"
    data = json.loads(document.content)
    assert data["chat_id"] == user.id
    assert data["role"] == "dad"
    assert data["area"] == "bootle"
    assert data["children"][0]["date_of_birth"] == "2026-09-02"
    assert data["consented_at"]


async def test_delete_asks_first_then_leaves_no_row_in_any_table(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    keep = await signed_up(bot_api, user_id=3008)
    user = await signed_up(bot_api, user_id=3009)
    async with sessions() as session:
        family_id = await session.scalar(select(Family.id).where(Family.chat_id == user.id))
    [question] = await says(user, "/delete")
    assert flat(question.buttons) == ["Yes, delete everything", "No, keep my details"]
    [done] = await taps(user, "Yes, delete everything")
    assert done.visible_text.startswith("All your details have been deleted.")
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = {c.name for c in table.columns}
            for key, value in (("chat_id", user.id), ("family_id", family_id), ("id", family_id)):
                if key not in columns or (key == "id" and table.name != "families"):
                    continue
                count = await session.scalar(
                    select(func.count()).select_from(table).where(table.c[key] == value)
                )
                assert count == 0, f"{table.name}.{key} still holds the family"
        remaining = await session.scalar(text("SELECT count(*) FROM children"))
        assert remaining == 1  # the other family's child
        family = await session.scalar(select(Family))
        assert family is not None
        assert family.chat_id == keep.id
    [welcome] = await says(user, "/start")
    assert "Welcome to Grow Well" in welcome.visible_text


async def test_a_corrected_due_date_replans_the_messages(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from store.models import Delivery, DeliveryStatus

    user = await signed_up(bot_api, user_id=3010, due="1/2/2027")
    await says(user, "/settings")
    [ask] = await taps(user, "📅 Change a due date or birthday")
    assert ask.visible_text.startswith("When is your baby due?")
    [check] = await says(user, "15/2/2027")
    assert check.visible_text == "Just to check: did you mean Monday, 15 February 2027?"
    saved, _menu = await taps(user, "Yes, that's right")
    assert saved.visible_text == "Saved."
    async with sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == user.id))
        assert family is not None
        assert family.children[0].due_date == date(2027, 2, 15)
        pending = list(
            await session.scalars(
                select(Delivery).where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.send_at.is_(None),
                    Delivery.child_id.is_not(None),  # not the family's catch-up question
                )
            )
        )
    plan = bot.bot_data["services"].plan  # type: ignore[attr-defined]
    for row in pending:
        entry = plan.by_key[row.entry_key]
        assert row.due_on >= entry.due_day(date(2027, 2, 15))
